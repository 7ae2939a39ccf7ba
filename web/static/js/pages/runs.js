// Synchronisations: each run of each connector (the lines sharing a sync_id), newest first,
// filtered by connector, outcome and period, a page at a time; each run's lines one click away
// in Rapports.

import { get } from "../api.js";
import { h } from "../dom.js";
import { dateTime, duration, number, t } from "../i18n.js";
import { cell, field, pageHead, reportsHref, table } from "../widgets.js";

export const STATUSES = ["ok", "with_alerts", "failed"]; // query_api/sync_runs.py's RunStatus
const PERIODS = { "24h": 86400e3, "7d": 604800e3, "30d": 2592000e3 }; // the API covers 31 days
const DEFAULT_PERIOD = "7d";
const PAGE = 50;

function periodOf(params) {
  return PERIODS[params.get("window")] ? params.get("window") : DEFAULT_PERIOD;
}

function go(params) {
  location.hash = `#/synchronisations${params.toString() ? `?${params}` : ""}`;
}

export function statusBadge(status) {
  return h("span", { class: `badge run-${status}`, dataset: { status } }, t(`run_status_${status}`));
}

function select(id, name, options, chosen) {
  return h("select", { id, name },
    options.map(([value, label]) => h("option", { value, selected: value === chosen }, label)));
}

function filters(params, connectors) {
  const names = connectors.map((c) => c.connector_id);
  const chosen = params.get("connector_id") || "";
  if (chosen && !names.includes(chosen)) names.push(chosen);
  return h("form", { class: "filters runs-filters", id: "runs-filters",
    onsubmit: (event) => {
      event.preventDefault();
      const next = new URLSearchParams();
      for (const [key, value] of new FormData(event.target)) if (value) next.set(key, value);
      if (next.get("window") === DEFAULT_PERIOD) next.delete("window");
      go(next);
    } },
  h("div", { class: "row" },
    field("r-connector", t("connector"), select("r-connector", "connector_id",
      [["", t("all_connectors")], ...names.map((name) => [name, name])], chosen)),
    field("r-status", t("runs_status"), select("r-status", "status",
      [["", t("runs_all_statuses")], ...STATUSES.map((s) => [s, t(`run_status_${s}`)])],
      params.get("status") || "")),
    field("r-window", t("period"), select("r-window", "window",
      Object.keys(PERIODS).map((p) => [p, t(`preset_${p}`)]), periodOf(params))),
    h("div", { class: "field" }, h("button", { type: "submit", class: "primary" }, t("runs_filter")))));
}

function row(run) {
  return h(
    "tr",
    { class: `run run-${run.status}`, dataset: { syncRun: run.sync_id, status: run.status } },
    cell(t("connector"), run.connector_id),
    cell(t("runs_started"), h("time", { datetime: run.started_at }, dateTime(run.started_at))),
    cell(t("runs_ended"), h("time", { datetime: run.ended_at }, dateTime(run.ended_at))),
    cell(t("duration"), duration(Math.round(run.duration_seconds * 1000))),
    cell(t("runs_counts"), t("runs_count_line", {
      success: number(run.levels.success), alert: number(run.levels.alert),
      error: number(run.levels.error) })),
    cell(t("runs_operations"), h("span", { class: "run-operations" },
      run.operations.map((o) => `${o.operation} (${number(o.lines)})`).join(", "))),
    cell(t("runs_status"), statusBadge(run.status)),
    cell("", h("a", { class: "run-lines", href: reportsHref(run.report_url) }, t("runs_lines_link"))),
  );
}

function pager(params, page) {
  const links = [];
  if (params.get("cursor")) {
    const first = new URLSearchParams(params);
    first.delete("cursor");
    links.push(h("a", { class: "button secondary", href: `#/synchronisations?${first}` },
      t("first_page")));
  }
  if (page.next_cursor) {
    const next = new URLSearchParams(params);
    next.set("cursor", page.next_cursor);
    links.push(h("a", { class: "button next", href: `#/synchronisations?${next}` }, t("next_page")));
  }
  return h("nav", { class: "pager", "aria-label": t("pagination") }, links);
}

export async function render({ params }) {
  const query = {
    limit: PAGE,
    since: new Date(Date.now() - PERIODS[periodOf(params)]).toISOString(),
  };
  for (const key of ["connector_id", "status", "cursor"]) {
    if (params.get(key)) query[key] = params.get(key);
  }
  const [page, connectors] = await Promise.all([
    get("/v1/sync-runs", query),
    get("/v1/connectors"),
  ]);
  return [
    pageHead(t("nav_runs")),
    h("p", { class: "muted" }, t("runs_intro")),
    filters(params, connectors.connectors),
    page.items.length
      ? table(t("nav_runs"), [t("connector"), t("runs_started"), t("runs_ended"), t("duration"),
        t("runs_counts"), t("runs_operations"), t("runs_status"), ""], page.items.map(row),
      { id: "runs" })
      : h("p", { id: "runs-none" }, t("runs_none")),
    pager(params, page),
  ];
}
