// Charts as inline SVG: one strip per level, each scaled to its own peak, so a handful of
// errors stays visible next to thousands of successes. Each bar opens its bucket's reports.
// Text stays HTML, so stretching the strips to the page width never distorts it.

import { h, svg } from "./dom.js";
import { day, hour, number, percent, t } from "./i18n.js";
import { LEVELS, reportsHref } from "./widgets.js";

const BAR = 10;
const STEP = 12;
const HEIGHT = 40;
const MAX_LABELS = 8;

function bars(points, className, heightOf, titleOf, hrefOf) {
  return svg(
    "svg",
    { viewBox: `0 0 ${points.length * STEP} ${HEIGHT}`, preserveAspectRatio: "none",
      class: `series ${className}`, "aria-hidden": "true" },
    svg("line", { x1: 0, x2: points.length * STEP, y1: HEIGHT, y2: HEIGHT, class: "axis" }),
    points.map((p, i) => {
      const share = heightOf(p);
      if (!share) return null;
      const height = Math.max(2, share * HEIGHT);
      const bar = [svg("title", {}, titleOf(p)),
        svg("rect", { x: i * STEP + (STEP - BAR) / 2, y: HEIGHT - height, width: BAR, height,
          class: "bar" })];
      const href = hrefOf(p);
      return href ? svg("a", { href, tabindex: "-1" }, bar) : svg("g", {}, bar);
    }),
  );
}

function strip(level, points, when, per) {
  const peak = Math.max(0, ...points.map((p) => p.count));
  return [
    h("p", { class: "series-label" }, `${t(level)} — ${t(per, { n: number(peak) })}`),
    bars(points, `level-${level}`, (p) => (p.count ? p.count / peak : 0),
      (p) => `${when(p.at)} — ${number(p.count)} ${t(level).toLowerCase()}`,
      (p) => reportsHref(p.report_url)),
  ];
}

// Whether the i-th of n points gets a label: at most MAX_LABELS, on round hours or days.
function labelled(points, daily) {
  if (daily) {
    const every = Math.ceil(points.length / MAX_LABELS);
    return (p, i) => i % every === 0;
  }
  const every = [12, 24, 48, 72, 168].find((n) => points.length / n <= MAX_LABELS) || 168;
  return (p) => {
    const at = new Date(p.at);
    if (every < 24) return at.getHours() % every === 0;
    const localDay = Math.floor((at.getTime() - at.getTimezoneOffset() * 60e3) / 86400e3);
    return at.getHours() === 0 && localDay % (every / 24) === 0;
  };
}

function ticks(points, daily) {
  const shown = labelled(points, daily);
  const format = daily || points.length > 72 ? day : hour;
  return h(
    "div",
    { class: "ticks", "aria-hidden": "true" },
    points.flatMap((p, i) => {
      const at = (i + 0.5) / points.length;
      // A label is centred on its bucket: near an edge it would stick out of the chart (and
      // the page, on a phone). Those stay unlabelled; their neighbours' labels place them.
      if (!shown(p, i) || at < 0.125 || at > 0.875) return [];
      const tick = h("span", {}, format(p.at));
      tick.style.left = `${at * 100}%`;
      return [tick];
    }),
  );
}

// `series`: {level: [{at, count, report_url}]}, hourly (the dashboard) or daily (trends).
export function levelChart(series, { daily = false } = {}) {
  const totals = Object.fromEntries(
    LEVELS.map((level) => [level, number(series[level].reduce((sum, p) => sum + p.count, 0))]),
  );
  const when = daily ? day : hour;
  const per = daily ? "peak_per_day" : "peak_per_hour";
  return h(
    "figure",
    { class: "chart", role: "img",
      "aria-label": t(daily ? "chart_label_daily" : "chart_label", totals) },
    LEVELS.map((level) => strip(level, series[level], when, per)),
    ticks(series.success, daily),
  );
}

// The share of successes among every line, day by day (a day without any line has no bar).
export function rateChart(series) {
  const points = series.success.map((p, i) => {
    const all = LEVELS.reduce((sum, level) => sum + series[level][i].count, 0);
    return { at: p.at, rate: all ? p.count / all : null };
  });
  const rated = points.filter((p) => p.rate !== null);
  const mean = rated.length ? rated.reduce((sum, p) => sum + p.rate, 0) / rated.length : null;
  return h(
    "figure",
    { class: "chart rate", role: "img", "aria-label": t("rate_chart_label", { rate: percent(mean) }) },
    h("p", { class: "series-label" }, t("success_rate_per_day")),
    bars(points, "level-success", (p) => p.rate || 0,
      (p) => `${day(p.at)} — ${percent(p.rate)}`, () => null),
    ticks(points, true),
  );
}
