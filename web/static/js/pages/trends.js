// Tendances: day by day over 7 or 30 days, per level and as a success rate, for every
// connector or one; and each connector's success rate over 7 and 30 days side by side.

import { get } from "../api.js";
import { levelChart, rateChart } from "../chart.js";
import { h } from "../dom.js";
import { duration, number, percent, t } from "../i18n.js";
import { cell, field, LEVELS, pageHead, reportsHref, table } from "../widgets.js";

const SPANS = ["7d", "30d"];

function rate(levels) {
  const all = LEVELS.reduce((sum, level) => sum + levels[level].count, 0);
  return all ? levels.success.count / all : null;
}

function go(span, connector) {
  const next = new URLSearchParams();
  if (span !== SPANS[0]) next.set("window", span);
  if (connector) next.set("connector_id", connector);
  location.hash = `#/tendances${next.toString() ? `?${next}` : ""}`;
}

function pickers(span, connector, connectors) {
  const names = connectors.map((c) => c.connector_id);
  return h("form", { class: "filters row", onsubmit: (event) => event.preventDefault() },
    field("t-window", t("period"), h("select", { id: "t-window",
      onchange: (event) => go(event.target.value, connector) },
    SPANS.map((s) => h("option", { value: s, selected: s === span }, t(`preset_${s}`))))),
    field("t-connector", t("connector"), h("select", { id: "t-connector",
      onchange: (event) => go(span, event.target.value) },
    h("option", { value: "" }, t("all_connectors")),
    names.map((name) => h("option", { value: name, selected: name === connector }, name)))));
}

// One row per connector: its counts over 7 days and its success rate over 7 and 30 days.
function perConnector(week, month) {
  const monthly = new Map(month.connectors.map((c) => [c.connector_id, c]));
  const row = (name, levels7, levels30, scope) => h("tr", { dataset: { connector: scope } },
    cell(t("connector"), name),
    LEVELS.map((level) => cell(t(level),
      h("a", { href: reportsHref(levels7[level].report_url) }, number(levels7[level].count)))),
    cell(t("success_rate_7d"), percent(rate(levels7))),
    cell(t("success_rate_30d"), levels30 ? percent(rate(levels30)) : "—"));
  return table(t("per_connector"),
    [t("connector"), ...LEVELS.map((level) => t(level)), t("success_rate_7d"),
      t("success_rate_30d")],
    [row(t("all_connectors"), week.levels, month.levels, ""),
      ...week.connectors.map((c) => row(c.connector_id, c.levels,
        monthly.get(c.connector_id)?.levels, c.connector_id))],
    { id: "trends-connectors" });
}

// p50 / p95 from a reference's first sight to its first success, over 7 and 30 days.
function timeToSuccess(figures) {
  const seconds = (value) => (value === null ? "—" : duration(Math.round(value * 1000)));
  return table(t("time_to_success"),
    ["", t("time_to_success_references"), t("time_to_success_succeeded"),
      t("time_to_success_p50"), t("time_to_success_p95")],
    figures.map((f) => h("tr", { dataset: { days: String(f.days) } },
      cell("", t("time_to_success_days", { days: f.days })),
      cell(t("time_to_success_references"), number(f.references)),
      cell(t("time_to_success_succeeded"), number(f.succeeded)),
      cell(t("time_to_success_p50"), seconds(f.p50_seconds)),
      cell(t("time_to_success_p95"), seconds(f.p95_seconds)))),
    { id: "time-to-success" });
}

export async function render({ params }) {
  const span = SPANS.includes(params.get("window")) ? params.get("window") : SPANS[0];
  const connector = params.get("connector_id") || "";
  const [series, connectors, week, month] = await Promise.all([
    get("/v1/trends", { window: span, interval: "1d", connector_id: connector }),
    get("/v1/connectors"),
    get("/v1/dashboard", { window: "7d" }),
    get("/v1/dashboard", { window: "30d" }),
  ]);
  return [
    pageHead(t("trends_title")),
    h("p", { class: "muted" }, t("trends_intro")),
    pickers(span, connector, connectors.connectors),
    h("h2", {}, t("per_level")),
    levelChart(series.series, { daily: true }),
    h("h2", {}, t("success_rate")),
    rateChart(series.series),
    h("h2", {}, t("per_connector")),
    h("p", { class: "muted" }, t("per_connector_counts")),
    perConnector(week, month),
    h("h2", {}, t("time_to_success")),
    h("p", { class: "muted" }, t("time_to_success_intro")),
    timeToSuccess(series.time_to_success),
  ];
}
