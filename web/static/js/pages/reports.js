// Rapports: the full reports, every filter of the API, time presets (the last 48 hours unless
// asked otherwise), the query's total, keyset pagination, exports; each alert or error with its
// origin, hint, knowledge-base link and suggested action.

import { get, request } from "../api.js";
import { announce, h } from "../dom.js";
import { colon, dateTime, duration, hintOf, number, t } from "../i18n.js";
import * as remoteAction from "../remote-action.js";
import { allows } from "../session.js";
import {
  cell, field, kbLink, LEVELS, levelBadge, ORIGINS, originLabel, pageHead, roleNote, table,
} from "../widgets.js";

const PAGE_SIZES = ["50", "25", "100", "200"]; // the first is the default
const PRESETS = { "1h": 3600e3, "24h": 86400e3, "48h": 172800e3, "7d": 604800e3, "30d": 2592000e3 };
const DEFAULT_PRESET = "48h";
const MULTI = ["level", "origin", "connector_id", "operation"];
// Filters that arrive from links (a sync run, an error group, a configuration) and that the
// form keeps without showing a field for them (named, never by their ids).
const CARRIED = ["config_id", "sync_id", "fingerprint"];

let trail = []; // the cursors of the pages before this one, for "previous page"

// A change of licence or of person: nothing of the previous one is kept.
export function forget() {
  remoteAction.forget();
  trail = [];
}

function pageSize(params) {
  return PAGE_SIZES.includes(params.get("limit")) ? params.get("limit") : PAGE_SIZES[0];
}

function windowOf(params) {
  if (params.get("since") || params.get("until")) return "custom";
  if (params.get("window") === "all") return "all";
  return PRESETS[params.get("window")] ? params.get("window") : DEFAULT_PRESET;
}

// The hash's filters as the API's query parameters.
function apiFilters(params) {
  const query = {};
  for (const key of [...MULTI, ...CARRIED]) query[key] = params.getAll(key);
  for (const key of ["reference", "reference_prefix", "q", "since", "until"]) {
    query[key] = params.get(key);
  }
  const preset = PRESETS[windowOf(params)];
  if (preset && !query.since) query.since = new Date(Date.now() - preset).toISOString();
  return query;
}

function toLocalInput(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function go(params) {
  location.hash = `#/rapports${params.toString() ? `?${params}` : ""}`;
}

function formToParams(form, params) {
  const data = new FormData(form);
  const next = new URLSearchParams();
  for (const key of CARRIED) for (const value of params.getAll(key)) next.append(key, value);
  for (const key of ["level", "origin"]) for (const value of data.getAll(key)) next.append(key, value);
  for (const key of ["connector_id", "operation", "q"]) {
    const value = String(data.get(key) || "").trim();
    if (value) next.set(key, value);
  }
  const reference = String(data.get("reference") || "").trim();
  if (reference) next.set(data.get("prefix") ? "reference_prefix" : "reference", reference);
  if (data.get("limit") !== PAGE_SIZES[0]) next.set("limit", data.get("limit"));
  const preset = data.get("window");
  if (preset === "custom") {
    for (const key of ["since", "until"]) {
      const value = data.get(key);
      if (value) next.set(key, new Date(value).toISOString());
    }
  } else if (preset !== DEFAULT_PRESET) {
    next.set("window", preset);
  }
  return next;
}

function checkboxes(name, legend, values, chosen, label) {
  return h(
    "fieldset",
    { class: "checks" },
    h("legend", {}, legend),
    values.map((value) =>
      h("label", {}, h("input", { type: "checkbox", name, value, checked: chosen.includes(value) }),
        " ", label(value)),
    ),
  );
}

// The licence's connectors by name; one asked by a link but no longer listed stays choosable.
function connectorPicker(params, connectors) {
  const chosen = params.get("connector_id") || "";
  const names = connectors.map((c) => c.connector_id);
  if (chosen && !names.includes(chosen)) names.push(chosen);
  return h("select", { id: "f-connector", name: "connector_id" },
    h("option", { value: "" }, t("all_connectors")),
    names.map((name) => h("option", { value: name, selected: name === chosen }, name)));
}

function filtersForm(params, connectors) {
  const preset = windowOf(params);
  const reference = params.get("reference") || params.get("reference_prefix") || "";
  const custom = h(
    "div",
    { class: "custom-range" },
    field("f-since", t("since"), h("input", { id: "f-since", name: "since", type: "datetime-local",
      value: toLocalInput(params.get("since")) })),
    field("f-until", t("until"), h("input", { id: "f-until", name: "until", type: "datetime-local",
      value: toLocalInput(params.get("until")) })),
  );
  custom.hidden = preset !== "custom";
  const periods = ["1h", "24h", "48h", "7d", "30d", "all", "custom"];
  const form = h(
    "form",
    { class: "filters", role: "search",
      onsubmit: (event) => { event.preventDefault(); go(formToParams(event.target, params)); } },
    h("div", { class: "row" },
      field("f-q", t("search_message"), h("input", { id: "f-q", name: "q", type: "search",
        value: params.get("q") || "" })),
      field("f-reference", t("reference"), [
        h("input", { id: "f-reference", name: "reference", value: reference }),
        h("label", { class: "inline" }, h("input", { type: "checkbox", name: "prefix", value: "1",
          checked: Boolean(params.get("reference_prefix")) }), " ", t("reference_prefix"))]),
      field("f-period", t("period"), h("select", { id: "f-period", name: "window",
        onchange: (event) => { custom.hidden = event.target.value !== "custom"; } },
        periods.map((p) => h("option", { value: p, selected: p === preset }, t(`preset_${p}`))))),
      field("f-limit", t("page_size"), h("select", { id: "f-limit", name: "limit" },
        [...PAGE_SIZES].sort((a, b) => a - b).map((size) =>
          h("option", { value: size, selected: size === pageSize(params) }, size)))),
    ),
    custom,
    h("div", { class: "row" },
      checkboxes("level", t("levels"), LEVELS, params.getAll("level"), (v) => t(`level_${v}`)),
      checkboxes("origin", t("origins"), ORIGINS, params.getAll("origin"), originLabel),
      field("f-connector", t("connector"), connectorPicker(params, connectors)),
      field("f-operation", t("operation"), h("input", { id: "f-operation", name: "operation",
        value: params.get("operation") || "", placeholder: "order.import" })),
    ),
    h("div", { class: "row buttons" },
      h("button", { type: "submit", class: "primary" }, t("apply")),
      h("a", { href: "#/rapports", class: "button secondary" }, t("reset_filters"))),
  );
  return form;
}

function rows(items, actions, role) {
  return items.flatMap((item) => {
    const main = h(
      "tr",
      { class: `report level-${item.level}`, dataset: { eventId: item.event_id, level: item.level } },
      cell(t("date"), h("time", { datetime: item.occurred_at }, dateTime(item.occurred_at))),
      cell(t("level"), levelBadge(item.level)),
      cell(t("connector"), item.connector_id),
      cell(t("operation"), item.operation),
      cell(t("reference"), item.reference
        ? h("a", { class: "reference", href: `#/reference?${new URLSearchParams({ ref: item.reference })}`,
          title: t("timeline_open", { reference: item.reference }) }, item.reference)
        : null),
      cell(t("duration"), h("span", { class: "duration" },
        item.duration_ms === null ? "—" : duration(item.duration_ms))),
      cell(t("message"), h("span", { class: "message" }, item.message)),
    );
    if (item.level === "success") return [main];
    const hint = hintOf(item.remediation);
    const detail = h(
      "tr",
      { class: `detail level-${item.level}`, dataset: { eventId: item.event_id } },
      h("td", { colspan: 7 },
        h("p", {}, h("strong", {}, colon(t("origin"))), originLabel(item.origin)),
        hint ? h("p", { class: "hint" }, hint) : null,
        kbLink(item.remediation) && h("p", {}, kbLink(item.remediation)),
        remoteAction.actionControl(item.remediation.action,
          { key: item.event_id, reference: item.reference, sourceEventId: item.event_id },
          actions, role)),
    );
    return [main, detail];
  });
}

async function download(query, format, dialect) {
  announce(t("exporting"));
  // Excel (FR) writes local times: the browser's own time zone.
  const tz = dialect === "excel-fr" ? Intl.DateTimeFormat().resolvedOptions().timeZone : null;
  try {
    const response = await request("/v1/reports/export",
      { params: { ...query, format, dialect, tz } });
    const disposition = response.headers.get("Content-Disposition") || "";
    const name = /filename="([^"]+)"/.exec(disposition)?.[1] || `ero-report.${format}`;
    const url = URL.createObjectURL(await response.blob());
    const link = h("a", { href: url, download: name, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    announce(t("exported", { name }));
  } catch (error) {
    announce(error.message, "problem");
  }
}

function pager(params, page) {
  const cursor = params.get("cursor");
  const at = (value) => {
    const next = new URLSearchParams(params);
    if (value) next.set("cursor", value);
    else next.delete("cursor");
    return next;
  };
  const buttons = [];
  if (cursor && trail.length) {
    buttons.push(h("button", { type: "button", onclick: () => go(at(trail.pop())) },
      t("previous_page")));
  } else if (cursor) {
    buttons.push(h("a", { class: "button secondary", href: `#/rapports?${at(null)}` },
      t("first_page")));
  }
  if (page.next_cursor) {
    buttons.push(h("button", { type: "button", class: "next",
      onclick: () => { trail.push(cursor || ""); go(at(page.next_cursor)); } }, t("next_page")));
  }
  return h("nav", { class: "pager", "aria-label": t("pagination") },
    h("span", {}, t("page_n", { n: cursor && !trail.length ? "…" : trail.length + 1 })), buttons);
}

function total(page) {
  const key = page.total_capped ? "total_capped" : "total_events";
  return h("p", { class: "total", id: "reports-total", dataset: { total: page.total } },
    t(key, { n: number(page.total) }));
}

export async function render({ params, role }) {
  if (!params.get("cursor")) trail = [];
  const query = apiFilters(params);
  const [page, actions, connectors] = await Promise.all([
    get("/v1/reports", { ...query, limit: pageSize(params), cursor: params.get("cursor") }),
    remoteAction.actionCatalog(),
    get("/v1/connectors"),
  ]);
  const carried = CARRIED.filter((key) => params.get(key)).map((key) => t(`carried_${key}`));
  return [
    pageHead(t("reports_title")),
    allows(role, "member") ? null : roleNote(role, "member", "reports_readonly"),
    filtersForm(params, connectors.connectors),
    carried.length ? h("p", { class: "muted carried" }, `${colon(t("carried"))}${carried.join(", ")}`)
      : null,
    h("div", { class: "export" }, h("span", {}, colon(t("export"))),
      h("button", { type: "button", onclick: () => download(query, "csv") }, t("export_csv")),
      h("button", { type: "button", onclick: () => download(query, "csv", "excel-fr") },
        t("export_excel")),
      h("button", { type: "button", onclick: () => download(query, "ndjson") }, t("export_ndjson"))),
    total(page),
    page.items.length
      ? table(t("reports_title"),
        [t("date"), t("level"), t("connector"), t("operation"), t("reference"), t("duration"),
          t("message")],
        rows(page.items, actions, role), { id: "reports" })
      : h("p", { class: "empty" }, t("no_rows")),
    pager(params, page),
  ];
}
