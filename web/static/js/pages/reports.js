// Rapports: the full reports, every filter of the API, time presets, keyset pagination,
// exports; each alert or error with its origin, hint, knowledge-base link and suggested action.

import { ApiError, get, post, request } from "../api.js";
import { announce, h } from "../dom.js";
import { dateTime, hintOf, labelOf, t } from "../i18n.js";
import { allows } from "../session.js";
import {
  cell, field, kbLink, LEVELS, levelBadge, ORIGINS, originLabel, pageHead, roleNote, table,
} from "../widgets.js";

const PAGE_SIZES = ["50", "25", "100", "200"]; // the first is the default
const PRESETS = { "1h": 3600e3, "24h": 86400e3, "48h": 172800e3, "7d": 604800e3, "30d": 2592000e3 };
const MULTI = ["level", "origin", "connector_id", "operation"];
// Filters that arrive from links (a sync run, an error group, a configuration) and that the
// form keeps without showing a field for them.
const CARRIED = ["config_id", "sync_id", "fingerprint"];

let catalog = null;
let trail = []; // the cursors of the pages before this one, for "previous page"

// A change of licence or of person: nothing of the previous one is kept.
export function forget() {
  catalog = null;
  trail = [];
}

export function actionCatalog() {
  catalog ??= get("/v1/actions/catalog").catch((error) => {
    catalog = null;
    throw error;
  });
  return catalog;
}

function pageSize(params) {
  return PAGE_SIZES.includes(params.get("limit")) ? params.get("limit") : PAGE_SIZES[0];
}

function windowOf(params) {
  if (params.get("since") || params.get("until")) return "custom";
  return PRESETS[params.get("window")] ? params.get("window") : "all";
}

// The hash's filters as the API's query parameters.
function apiFilters(params) {
  const query = {};
  for (const key of [...MULTI, ...CARRIED]) query[key] = params.getAll(key);
  for (const key of ["reference", "reference_prefix", "q", "since", "until"]) {
    query[key] = params.get(key);
  }
  const preset = PRESETS[params.get("window")];
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
  } else if (preset !== "all") {
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

function filtersForm(params) {
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
      field("f-connector", t("connector"), h("input", { id: "f-connector", name: "connector_id",
        value: params.get("connector_id") || "" })),
      field("f-operation", t("operation"), h("input", { id: "f-operation", name: "operation",
        value: params.get("operation") || "", placeholder: "order.import" })),
    ),
    h("div", { class: "row buttons" },
      h("button", { type: "submit", class: "primary" }, t("apply")),
      h("a", { href: "#/rapports", class: "button secondary" }, t("reset_filters"))),
  );
  return form;
}

function actionControl(item, actions, role) {
  const name = item.remediation.action;
  if (!name) return null;
  if (name === "reset_pc_key") {
    if (!allows(role, "owner")) return null;
    return h("a", { href: "#/cle-pc", class: "button secondary" }, t("reset_pc_key_link"));
  }
  if (!allows(role, "member")) return null; // the page says why, once
  const spec = actions.find((a) => a.action === name);
  if (!spec) return null;
  const note = h("span", { class: "note", role: "status" });
  const askReference = spec.needs_order_reference && !item.reference;
  const inputId = `ref-${item.event_id}`;
  const input = askReference ? h("input", { id: inputId, name: "order_reference", required: true })
    : null;
  const label = labelOf(spec) + (spec.needs_order_reference && item.reference
    ? ` (${item.reference})` : "");
  const button = h("button", { type: "button", class: "queue", dataset: { action: name } },
    t("queue_action", { label }));
  button.addEventListener("click", async () => {
    const reference = spec.needs_order_reference ? (item.reference || input.value.trim()) : null;
    if (spec.needs_order_reference && !reference) {
      input.focus();
      note.textContent = t("order_reference");
      return;
    }
    button.disabled = true;
    try {
      await post("/v1/actions", { action: name, order_reference: reference,
        source_event_id: item.event_id });
      note.textContent = t("queued", { label: labelOf(spec) });
      announce(t("queued", { label: labelOf(spec) }));
    } catch (error) {
      button.disabled = false;
      if (!(error instanceof ApiError)) throw error;
      note.textContent = error.message;
    }
  });
  return h("div", { class: "action-control" },
    askReference ? [h("label", { for: inputId }, t("order_reference")), input] : null,
    button, note);
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
      cell(t("reference"), h("span", { class: "reference" }, item.reference)),
      cell(t("message"), h("span", { class: "message" }, item.message)),
    );
    if (item.level === "success") return [main];
    const hint = hintOf(item.remediation);
    const detail = h(
      "tr",
      { class: `detail level-${item.level}`, dataset: { eventId: item.event_id } },
      h("td", { colspan: 6 },
        h("p", {}, h("strong", {}, `${t("origin")} : `), originLabel(item.origin)),
        hint ? h("p", { class: "hint" }, hint) : null,
        kbLink(item.remediation) && h("p", {}, kbLink(item.remediation)),
        actionControl(item, actions, role)),
    );
    return [main, detail];
  });
}

async function download(query, format, dialect) {
  announce(t("exporting"));
  try {
    const response = await request("/v1/reports/export", { params: { ...query, format, dialect } });
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

export async function render({ params, role }) {
  if (!params.get("cursor")) trail = [];
  const query = apiFilters(params);
  const [page, actions] = await Promise.all([
    get("/v1/reports", { ...query, limit: pageSize(params), cursor: params.get("cursor") }),
    actionCatalog(),
  ]);
  const carried = CARRIED.filter((key) => params.get(key)).map((key) =>
    `${key} = ${params.getAll(key).join(", ")}`);
  return [
    pageHead(t("reports_title")),
    allows(role, "member") ? null : roleNote(role, "member", "reports_readonly"),
    filtersForm(params),
    carried.length ? h("p", { class: "muted carried" }, carried.join(" · ")) : null,
    h("div", { class: "export" }, h("span", {}, `${t("export")} : `),
      h("button", { type: "button", onclick: () => download(query, "csv") }, t("export_csv")),
      h("button", { type: "button", onclick: () => download(query, "csv", "excel-fr") },
        t("export_excel")),
      h("button", { type: "button", onclick: () => download(query, "ndjson") }, t("export_ndjson"))),
    page.items.length
      ? table(t("reports_title"),
        [t("date"), t("level"), t("connector"), t("operation"), t("reference"), t("message")],
        rows(page.items, actions, role), { id: "reports" })
      : h("p", { class: "empty" }, t("no_rows")),
    pager(params, page),
  ];
}
