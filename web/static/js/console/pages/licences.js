// Licences: the fleet's licences by name (searched, a page at a time) with their status, last
// sync, connector versions and owners, or only the silent ones (active, no sync run for some
// hours: the shops to call before they call); open a licence for a shop. One licence's page
// (?licence=): its facts, its status (suspend, reactivate), its team (invite someone with a
// role) and its audit trail, which names the operator of every change.

import { ApiError, get, post } from "../../api.js";
import { announce, h } from "../../dom.js";
import { dateTime, t } from "../../i18n.js";
import { cell, confirmDialog, field, pageHead, problem, table } from "../../widgets.js";
import { changeText, licenceLink, STATUSES, statusBadge, versions, when } from "../common.js";

const ROLES = ["owner", "member", "viewer"];
const SILENCES = [6, 24, 72, 168]; // hours
const PAGE = 25;
// The cursors of the pages before this one, for « Page précédente ».
let trail = [];

function go(params) {
  location.hash = `#/licences?${params}`;
}

function people(owners) {
  if (!owners.length) return h("span", { class: "muted" }, t("console_no_owner"));
  return owners.map((o) => o.name ? `${o.name} (${o.email})` : o.email).join(", ");
}

// Lines sent without a sync run (no sync_id) still say the connector is alive.
function lastSync(licence) {
  if (licence.last_sync_at || !licence.last_event_at) return when(licence.last_sync_at);
  return [dateTime(licence.last_event_at), " ",
    h("span", { class: "muted" }, t("console_last_line_note"))];
}

function listRow(licence) {
  return h("tr", { dataset: { licenceId: licence.licence_id, status: licence.status } },
    cell(t("name"), licenceLink(licence.licence_id, licence.name)),
    cell(t("status"), statusBadge(licence.status)),
    cell(t("last_sync"), lastSync(licence)),
    cell(t("console_versions"), versions(licence.agent)),
    cell(t("console_owners"), people(licence.owners)));
}

function searchForm(params) {
  const submit = (event) => {
    event.preventDefault();
    const data = new FormData(event.target);
    trail = [];
    const next = new URLSearchParams();
    for (const key of ["q", "statut", "silence"]) {
      if (data.get(key)) next.set(key, String(data.get(key)));
    }
    go(next);
  };
  return h("form", { class: "filters row", id: "licence-search", role: "search", onsubmit: submit },
    field("licence-q", t("console_search_name"), h("input", { id: "licence-q", name: "q",
      type: "search", maxlength: 200, value: params.get("q") || "" })),
    field("licence-status", t("status"), h("select", { id: "licence-status", name: "statut" },
      h("option", { value: "" }, t("console_any_status")),
      STATUSES.map((s) => h("option", { value: s, selected: params.get("statut") === s },
        t(`console_status_${s}`))))),
    field("licence-silence", t("console_silence"), h("select", { id: "licence-silence", name: "silence" },
      h("option", { value: "" }, t("console_any_silence")),
      SILENCES.map((hours) => h("option", { value: hours, selected: params.get("silence") === String(hours) },
        t(hours < 48 ? "console_silent_hours" : "console_silent_days", { n: hours < 48 ? hours : hours / 24 }))))),
    h("div", { class: "field" }, h("button", { type: "submit", class: "primary" }, t("console_search"))));
}

function pager(params, page) {
  const cursor = params.get("apres");
  const at = (value) => {
    const next = new URLSearchParams(params);
    if (value) next.set("apres", value);
    else next.delete("apres");
    return next;
  };
  const buttons = [];
  if (cursor) {
    buttons.push(h("button", { type: "button", class: "secondary",
      onclick: () => go(at(trail.pop() || "")) }, t("previous_page")));
  }
  if (page.next_cursor) {
    buttons.push(h("button", { type: "button", class: "next",
      onclick: () => { trail.push(cursor || ""); go(at(page.next_cursor)); } }, t("next_page")));
  }
  return buttons.length ? h("nav", { class: "pager", "aria-label": t("pagination") },
    h("span", {}, t("page_n", { n: trail.length + 1 })), buttons) : null;
}

function createForm() {
  const outcome = h("div", { id: "licence-created", "aria-live": "polite" });
  async function create(event) {
    event.preventDefault();
    const form = event.target;
    const data = new FormData(form);
    const owner = String(data.get("owner") || "").trim();
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const created = await post("/v1/admin/licences", {
        name: String(data.get("name") || "").trim(), ...(owner ? { owner } : {}),
      });
      form.reset();
      outcome.replaceChildren(h("p", { class: "done", role: "status" },
        t("console_licence_created", { name: data.get("name") }), " ",
        licenceLink(created.licence_id, t("console_open_licence"))));
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      outcome.replaceChildren(problem(error.message));
    } finally {
      button.disabled = false;
    }
  }
  return h("form", { class: "card form", id: "licence-form", onsubmit: create },
    h("h2", {}, t("console_licence_new")),
    h("div", { class: "row" },
      field("licence-name", t("console_licence_name"),
        h("input", { id: "licence-name", name: "name", required: true, maxlength: 200 })),
      field("licence-owner", t("console_licence_owner"),
        h("input", { id: "licence-owner", name: "owner", type: "email", autocomplete: "off" })),
      h("div", { class: "field" },
        h("button", { type: "submit", class: "primary" }, t("console_licence_create")))),
    outcome);
}

async function list(params) {
  if (!params.get("apres")) trail = [];
  const page = await get("/v1/admin/licences", {
    q: params.get("q") || "", status: params.get("statut") || "", limit: PAGE,
    cursor: params.get("apres") || "", silent_hours: params.get("silence") || "",
  });
  return [
    pageHead(t("console_nav_licences")),
    searchForm(params),
    page.items.length
      ? table(t("console_nav_licences"), [t("name"), t("status"), t("last_sync"),
        t("console_versions"), t("console_owners")], page.items.map(listRow), { id: "licences" })
      : h("p", { class: "empty" }, t(params.get("silence") ? "console_no_silent" : "console_no_licences")),
    pager(params, page),
    createForm(),
  ];
}

// The status buttons: suspend an active licence (its connectors and readers are refused),
// reactivate one that is not.
function statusControl(licence, rerender) {
  const outcome = h("div", { id: "status-outcome", "aria-live": "polite" });
  const change = async (status) => {
    try {
      await post(`/v1/admin/licences/${encodeURIComponent(licence.licence_id)}/status`, { status });
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      outcome.replaceChildren(problem(error.message));
      return;
    }
    await rerender();
    announce(t(`console_status_set_${status}`, { name: licence.name }));
  };
  if (licence.status !== "active") {
    return h("div", { class: "row buttons" },
      h("button", { type: "button", class: "primary", id: "reactivate",
        onclick: () => change("active") }, t("console_reactivate")), outcome);
  }
  const dialog = confirmDialog("suspend-dialog", t("console_suspend_title", { name: licence.name }),
    t("console_suspend_text"), t("console_suspend"), () => change("revoked"));
  return h("div", { class: "row buttons" },
    h("button", { type: "button", class: "danger", id: "suspend", onclick: () => dialog.ask() },
      t("console_suspend")), dialog, outcome);
}

function inviteForm(licence, rerender) {
  const outcome = h("div", { id: "invite-outcome", "aria-live": "polite" });
  const submit = async (event) => {
    event.preventDefault();
    const data = new FormData(event.target);
    const email = String(data.get("email")).trim();
    const name = String(data.get("name") || "").trim();
    try {
      await post(`/v1/admin/licences/${encodeURIComponent(licence.licence_id)}/members`,
        { email, role: data.get("role"), ...(name ? { name } : {}) });
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      outcome.replaceChildren(problem(error.message));
      return;
    }
    await rerender();
    announce(t("invited", { email }));
  };
  return h("form", { class: "card", id: "attach", onsubmit: submit },
    h("h3", {}, t("console_attach")),
    h("p", { class: "muted" }, t("console_attach_intro")),
    h("div", { class: "row" },
      field("attach-email", t("email"), h("input", { id: "attach-email", name: "email",
        type: "email", required: true, autocomplete: "off", spellcheck: "false" })),
      field("attach-name", t("console_person_name"), h("input", { id: "attach-name", name: "name",
        maxlength: 200, autocomplete: "off" })),
      field("attach-role", t("role"), h("select", { id: "attach-role", name: "role" },
        ROLES.map((r) => h("option", { value: r }, t(`role_${r}`))))),
      h("div", { class: "field" }, h("button", { type: "submit", class: "primary" },
        t("invite_submit")))),
    outcome);
}

function auditRow(entry) {
  return h("tr", { dataset: { kind: entry.kind } },
    cell(t("date"), dateTime(entry.issued_at)),
    cell(t("console_who"), h("span", { class: "actor" }, entry.actor)),
    cell(t("console_what"), changeText(entry)));
}

// The kinds of change a person makes to a licence (not what its connector reports).
const AUDITED = ["licence", "member", "notification", "dead_letter", "configuration",
  "active_configuration", "action", "pc_key", "account", "ticket"];

async function one(licenceId, rerender) {
  let licence;
  try {
    licence = await get(`/v1/admin/licences/${encodeURIComponent(licenceId)}`);
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 404) throw error;
    return [pageHead(t("console_nav_licences")), problem(t("console_licence_gone"))];
  }
  const [team, audit] = await Promise.all([
    get(`/v1/admin/licences/${encodeURIComponent(licenceId)}/members`),
    get(`/v1/admin/licences/${encodeURIComponent(licenceId)}/audit`,
      { entity: AUDITED, limit: 100 }),
  ]);
  return [
    pageHead(licence.name),
    h("p", {}, h("a", { href: "#/licences" }, t("console_back_to_licences"))),
    h("div", { class: "account-grid" },
      h("section", { class: "card", id: "licence-detail" },
        h("h2", {}, t("console_licence_facts")),
        h("dl", { class: "facts console-facts" },
          h("dt", {}, t("status")), h("dd", { id: "licence-status-now" }, statusBadge(licence.status)),
          h("dt", {}, t("console_created")), h("dd", {}, dateTime(licence.created_at)),
          h("dt", {}, t("last_sync")), h("dd", {}, when(licence.last_sync_at)),
          h("dt", {}, t("console_last_line")), h("dd", {}, when(licence.last_event_at)),
          h("dt", {}, t("console_versions")), h("dd", {}, versions(licence.agent)),
          h("dt", {}, t("shop_url")), h("dd", {}, licence.agent.shop_url || "—"),
          h("dt", {}, t("console_owners")), h("dd", {}, people(licence.owners))),
        statusControl(licence, rerender)),
      h("section", { class: "card", id: "licence-team" },
        h("h2", {}, t("nav_team")),
        team.length
          ? h("ul", { class: "plain team-list" }, team.map((m) => h("li", { dataset: { role: m.role } },
            h("strong", {}, m.name || m.email), m.name ? ` (${m.email})` : "", " — ",
            t(`role_${m.role}`))))
          : h("p", { class: "muted" }, t("console_no_team")),
        inviteForm(licence, rerender))),
    h("h2", {}, t("console_audit")),
    h("p", { class: "muted" }, t("console_audit_intro")),
    audit.items.length
      ? table(t("console_audit"), [t("date"), t("console_who"), t("console_what")],
        audit.items.map(auditRow), { id: "licence-audit" })
      : h("p", { class: "muted" }, t("console_no_audit")),
  ];
}

export function render({ params, rerender }) {
  const licenceId = params.get("licence");
  return licenceId ? one(licenceId, rerender) : list(params);
}
