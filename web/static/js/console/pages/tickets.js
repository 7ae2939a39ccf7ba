// Assistance: the vendor's support inbox across every licence (by status, assigned to me, by
// licence, any of the fleet's found by name), and one ticket: the context it was opened with
// (contact, versions, each connector's configuration, recent errors), its thread, an answer,
// assignment to any operator, resolve or reopen, and its deliveries (to the vendor, and the
// e-mails to the merchant).
// #/assistance, ?ticket=<number>. Every change is recorded in the licence's audit trail.

import { ApiError, get, put } from "../../api.js";
import { announce, h } from "../../dom.js";
import { dateTime, number, t } from "../../i18n.js";
import { replyForm, STATUSES, statusBadge, thread } from "../../tickets.js";
import { cell, field, originLabel, pageHead, problem, table } from "../../widgets.js";

const HERE = "#/assistance";

function href(values) {
  const query = new URLSearchParams(Object.entries(values).filter(([, v]) => v)).toString();
  return query ? `${HERE}?${query}` : HERE;
}

function emailOf(me) {
  return me.user.email;
}

const LICENCES_OFFERED = 50;

// The fleet's licences matching `q` (by name).
async function licenceOptions(q) {
  const page = await get("/v1/admin/licences", { q, limit: LICENCES_OFFERED });
  return page.items.map((item) => [item.licence_id, item.name]);
}

// The licences offered, the chosen one kept among them.
function keeping(found, chosen) {
  return chosen && !found.some(([id]) => id === chosen.id)
    ? [...found, [chosen.id, chosen.name]] : found;
}

function licenceOption(id, name, chosen) {
  return h("option", { value: id, selected: chosen === id }, name);
}

function filters(params, licences) {
  const apply = (event) => {
    event.preventDefault();
    const data = new FormData(event.target);
    location.hash = href({ statut: data.get("statut"), licence: data.get("licence"),
      moi: data.get("moi") ? "1" : "" });
  };
  const chosen = params.get("licence") || "";
  const status = h("select", { id: "f-status", name: "statut" },
    h("option", { value: "" }, t("console_support_all_statuses")),
    STATUSES.map((s) => h("option", { value: s, selected: params.get("statut") === s },
      t(`support_status_${s}`))));
  const all = () => h("option", { value: "" }, t("console_support_all_licences"));
  const licence = h("select", { id: "f-licence", name: "licence" }, all(),
    licences.map(([id, name]) => licenceOption(id, name, chosen)));
  const selected = () => {
    const option = licence.selectedOptions[0];
    return option && option.value ? { id: option.value, name: option.textContent } : null;
  };
  let asked = 0;
  const search = h("input", { type: "search", id: "f-licence-q", maxlength: "200",
    autocomplete: "off", placeholder: t("console_support_licence_search"),
    oninput: async () => {
      const mine = ++asked;
      let found;
      try {
        found = await licenceOptions(search.value.trim());
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        return; // the options offered stay as they were
      }
      if (mine !== asked) return; // a later search answered first
      // What the operator picked while the search ran stays picked.
      const current = selected();
      licence.replaceChildren(all(), ...keeping(found, current)
        .map(([id, name]) => licenceOption(id, name, current?.id)));
    } });
  return h("form", { class: "filters row", id: "inbox-filters", onsubmit: apply },
    field("f-status", t("support_status"), status),
    field("f-licence-q", t("console_support_licence_search_label"), search),
    field("f-licence", t("licence"), licence),
    h("label", { class: "inline check" },
      h("input", { type: "checkbox", name: "moi", id: "f-mine", checked: params.get("moi") === "1" }),
      " ", t("console_support_mine")),
    h("button", { type: "submit", class: "secondary" }, t("console_support_filter")));
}

async function inbox(params) {
  const query = { limit: 50, before: params.get("avant") || "", status: params.get("statut") || "",
    licence_id: params.get("licence") || "", mine: params.get("moi") === "1" ? "true" : "" };
  const page = await get("/v1/admin/tickets", query);
  const chosen = params.get("licence");
  let chosenName = page.items.find((item) => item.licence_id === chosen)?.licence_name;
  if (chosen && !chosenName) {
    chosenName = (await get(`/v1/admin/licences/${encodeURIComponent(chosen)}`)
      .catch(() => null))?.name || chosen;
  }
  const licences = keeping(await licenceOptions(""),
    chosen ? { id: chosen, name: chosenName } : null);
  const rows = page.items.map(({ licence_name: name, ticket }) =>
    h("tr", { dataset: { number: ticket.number || "" } },
      cell(t("support_number"), ticket.number
        ? h("a", { href: `${HERE}?ticket=${encodeURIComponent(ticket.number)}` }, ticket.number)
        : "—"),
      cell(t("licence"), name),
      cell(t("subject"), ticket.subject),
      cell(t("support_status"), statusBadge(ticket.status)),
      cell(t("console_support_assignee"), ticket.assignee || t("console_support_nobody")),
      cell(t("support_updated"), dateTime(ticket.updated_at || ticket.created_at))));
  return [
    pageHead(t("console_support_inbox")),
    filters(params, licences),
    rows.length
      ? table(t("console_support_inbox"),
        [t("support_number"), t("licence"), t("subject"), t("support_status"),
          t("console_support_assignee"), t("support_updated")], rows, { id: "inbox" })
      : h("p", { id: "inbox-none" }, t("console_support_none")),
    page.next_before
      ? h("p", { class: "pager" }, h("a", { href: href({ statut: params.get("statut"),
        licence: params.get("licence"), moi: params.get("moi"), avant: page.next_before }) },
      t("support_more")))
      : null,
  ];
}

function facts(rows) {
  return h("dl", { class: "facts" },
    rows.map(([label, value]) => [h("dt", {}, label), h("dd", {}, value || "—")]));
}

// Each connector's active configuration when the ticket was opened (tickets opened before
// configurations were per connector hold only the one for every connector).
function configurations(ticket) {
  const list = ticket.active_configurations?.length
    ? ticket.active_configurations
    : [ticket.active_configuration].filter(Boolean);
  return [
    h("h3", {}, t("console_support_configurations")),
    list.length
      ? h("dl", { class: "facts", id: "ticket-configurations" }, list.map((c) => [
        h("dt", {}, c.connector_id || t("cfg_every_connector")),
        h("dd", {}, c.name)]))
      : h("p", { class: "muted" }, t("console_support_no_configuration")),
  ];
}

function context(ticket) {
  const agent = ticket.agent;
  const groups = ticket.error_groups;
  return h("section", { class: "card ticket-context", id: "ticket-context",
    "aria-labelledby": "context-title" },
  h("h2", { id: "context-title" }, t("console_support_context")),
  facts([
    [t("console_support_contact"), ticket.email],
    [t("shop_url"), ticket.shop_url],
    [t("account_phone"), ticket.phone],
    [t("account_connector_version"), agent.connector_version],
    [t("account_erp_version"), agent.erp_version],
    [t("account_shop_version"), agent.shop_version],
    [t("account_reported_at"), ticket.agent_reported_at ? dateTime(ticket.agent_reported_at) : null],
  ]),
  configurations(ticket),
  h("h3", {}, t("console_support_errors")),
  groups.length
    ? h("ul", { class: "groups", id: "ticket-errors" }, groups.map((g) => h("li", {},
      h("span", { class: "message" }, g.message), " ",
      h("span", { class: "muted" }, `${number(g.count)} × ${g.operation}, ${originLabel(g.origin)}, `
        + dateTime(g.last_at)))))
    : h("p", { class: "muted" }, t("console_support_no_errors")));
}

function deliveries(list) {
  const rows = list.map((d) => h("tr", { dataset: { channel: d.channel, state: d.state } },
    cell(t("console_support_channel"), t(`console_support_channel_${d.channel}`),
      d.notice ? h("span", { class: "muted" }, ` (${t(`console_support_notice_${d.notice}`)})`)
        : null),
    cell(t("console_support_delivery_state"), t(`console_support_delivery_${d.state}`)),
    cell(t("console_support_attempts"), number(d.attempts)),
    cell(t("console_support_last_error"), d.state === "delivered" ? "—" : d.last_error || "—"),
    cell(t("console_support_when"),
      d.state === "delivered" ? dateTime(d.delivered_at) : dateTime(d.next_attempt_at))));
  return h("section", { class: "card", "aria-labelledby": "deliveries-title" },
    h("h2", { id: "deliveries-title" }, t("console_support_deliveries")),
    rows.length
      ? table(t("console_support_deliveries"),
        [t("console_support_channel"), t("console_support_delivery_state"),
          t("console_support_attempts"), t("console_support_last_error"),
          t("console_support_when")], rows, { id: "deliveries" })
      : h("p", { class: "muted" }, t("console_support_no_delivery")));
}

function assigneePicker(ticket, operators, change) {
  const offered = ticket.assignee && !operators.some((o) => o.email === ticket.assignee)
    ? [...operators, { email: ticket.assignee }]
    : operators;
  const select = h("select", { id: "assignee-pick", name: "assignee" },
    h("option", { value: "" }, t("console_support_nobody")),
    offered.map((o) => h("option", { value: o.email, selected: o.email === ticket.assignee },
      o.name ? `${o.name} (${o.email})` : o.email)));
  const assign = (event) => {
    const email = select.value || null;
    const said = t("console_support_assigned", { who: email || t("console_support_nobody") });
    return change("assignee", { assignee: email }, said)(event);
  };
  return h("div", { class: "row assignee-pick" },
    field("assignee-pick", t("console_support_assign_to"), select),
    h("button", { type: "button", class: "secondary", id: "assign", onclick: assign },
      t("console_support_assign")));
}

function controls(ticket, me, operators, rerender) {
  const path = `/v1/admin/tickets/${encodeURIComponent(ticket.number)}`;
  const outcome = h("div", { "aria-live": "assertive" });
  const change = (suffix, body, said) => async (event) => {
    event.target.disabled = true;
    try {
      await put(`${path}/${suffix}`, body);
    } catch (error) {
      event.target.disabled = false;
      if (!(error instanceof ApiError)) throw error;
      outcome.replaceChildren(problem(error.message));
      return;
    }
    await rerender();
    announce(said);
  };
  const mine = ticket.assignee === emailOf(me);
  const statusSaid = (status) =>
    t("console_support_changed", { number: ticket.number, status: t(`support_status_${status}`) });
  const button = (label, onclick, cls = "secondary") =>
    h("button", { type: "button", class: cls, onclick }, label);
  return h("div", { class: "ticket-controls" },
    h("p", { class: "ticket-meta" }, statusBadge(ticket.status), " ",
      t("console_support_assignee"), " : ",
      h("span", { id: "assignee" }, ticket.assignee || t("console_support_nobody"))),
    h("div", { class: "row buttons" },
      mine
        ? button(t("console_support_unassign"), change("assignee", { assignee: null },
          t("console_support_unassign")))
        : button(t("console_support_assign_me"), change("assignee", { assignee: emailOf(me) },
          t("console_support_assign_me"))),
      ticket.status === "resolved"
        ? button(t("console_support_reopen"), change("status", { status: "open" }, statusSaid("open")))
        : button(t("console_support_resolve"), change("status", { status: "resolved" },
          statusSaid("resolved")), "primary")),
    assigneePicker(ticket, operators, change),
    outcome);
}

async function oneTicket(wanted, me, rerender) {
  let found;
  try {
    found = await get(`/v1/admin/tickets/${encodeURIComponent(wanted)}`);
  } catch (error) {
    if (!(error instanceof ApiError) || ![404, 422].includes(error.status)) throw error;
    return [pageHead(t("console_support_inbox"), h("a", { href: HERE }, t("console_support_back"))),
      problem(error.message)];
  }
  const { ticket, replies } = found;
  const operators = await get("/v1/admin/operators");
  return [
    pageHead(`${ticket.number} — ${ticket.subject}`,
      h("a", { href: HERE }, t("console_support_back"))),
    h("p", { class: "muted" }, found.licence_name, " · ",
      t("support_opened_on", { date: dateTime(ticket.created_at) })),
    controls(ticket, me, operators, rerender),
    h("div", { class: "ticket-layout" },
      h("div", { class: "ticket-main" },
        thread(ticket, replies),
        replyForm({
          path: `/v1/admin/tickets/${encodeURIComponent(ticket.number)}/replies`,
          label: t("console_support_answer"),
          submit: t("console_support_answer_send"),
          sent: t("console_support_answered"),
          done: rerender,
        })),
      h("div", { class: "ticket-side" }, context(ticket))),
    // Full width: its five columns do not fit beside the thread.
    deliveries(found.deliveries),
  ];
}

export async function render({ params, me, rerender }) {
  if (params.get("ticket")) return oneTicket(params.get("ticket"), me, rerender);
  return inbox(params);
}
