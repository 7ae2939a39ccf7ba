// The hourly chart as inline SVG: one strip per level, each scaled to its own peak, so a
// handful of errors stays visible next to thousands of successes. Each bar opens that hour's
// reports. Text stays HTML, so stretching the strips to the page width never distorts it.

import { h, svg } from "./dom.js";
import { hour, number, t } from "./i18n.js";
import { LEVELS, reportsHref } from "./widgets.js";

const BAR = 10;
const STEP = 12;
const HEIGHT = 40;

function strip(level, points) {
  const peak = Math.max(0, ...points.map((p) => p.count));
  return [
    h("p", { class: "series-label" }, `${t(level)} — max ${number(peak)}/h`),
    svg(
      "svg",
      { viewBox: `0 0 ${points.length * STEP} ${HEIGHT}`, preserveAspectRatio: "none",
        class: `series level-${level}`, "aria-hidden": "true" },
      svg("line", { x1: 0, x2: points.length * STEP, y1: HEIGHT, y2: HEIGHT, class: "axis" }),
      points.map((p, i) => {
        if (!p.count) return null;
        const height = Math.max(2, (p.count / peak) * HEIGHT);
        return svg(
          "a",
          { href: reportsHref(p.report_url), tabindex: "-1" },
          svg("title", {}, `${hour(p.at)} — ${number(p.count)} ${t(level).toLowerCase()}`),
          svg("rect", { x: i * STEP + (STEP - BAR) / 2, y: HEIGHT - height, width: BAR, height,
            class: "bar" }),
        );
      }),
    ),
  ];
}

function ticks(points) {
  return h(
    "div",
    { class: "ticks", "aria-hidden": "true" },
    points.flatMap((p, i) => {
      const at = (i + 0.5) / points.length;
      // A label is centred on its hour: near an edge it would stick out of the chart (and the
      // page, on a phone). Those hours stay unlabelled; their neighbours' labels place them.
      if (new Date(p.at).getHours() % 12 || at < 0.125 || at > 0.875) return [];
      const tick = h("span", {}, hour(p.at));
      tick.style.left = `${at * 100}%`;
      return [tick];
    }),
  );
}

export function hourlyChart(hourly) {
  const totals = Object.fromEntries(
    LEVELS.map((level) => [level, number(hourly[level].reduce((sum, p) => sum + p.count, 0))]),
  );
  return h(
    "figure",
    { class: "chart", role: "img", "aria-label": t("chart_label", totals) },
    LEVELS.map((level) => strip(level, hourly[level])),
    ticks(hourly.success),
  );
}
