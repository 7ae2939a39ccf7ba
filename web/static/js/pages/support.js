// Assistance: the licence's tickets (number, subject, status, last update), one ticket's
// thread with the support's answers and a reply, and a new ticket pre-filled from what ERO
// knows (account e-mail, shop URL, recent errors). #/assistance, ?ticket=<number>, ?nouveau.

import { ApiError, get, post } from "../api.js";
import { announce, h } from "../dom.js";
import { dateTime, number, t } from "../i18n.js";
import { allows } from "../session.js";
import { replyForm, statusBadge, thread } from "../tickets.js";
import { cell, field, originLabel, pageHead, problem, roleNote, table } from "../widgets.js";

const HERE = "#/assistance";

function summary(groups) {
  return groups
    .map((g) => `- ${g.message} (${number(g.count)} × ${g.operation}, ${originLabel(g.origin)}, ` +
      `${dateTime(g.last_at)})`)
    .join("\n");
}

async function newTicket(me, member, role) {
  const draft = await get("/v1/tickets/draft");
  const outcome = h("div", { "aria-live": "polite" });
  const input = (name, label, attrs) =>
    field(`t-${name}`, label, h("input", { id: `t-${name}`, name, ...attrs }), true);
  const submit = async (event) => {
    event.preventDefault();
    const button = event.target.querySelector("button[type=submit]");
    const body = {};
    for (const [key, value] of new FormData(event.target)) body[key] = value.trim() || null;
    button.disabled = true;
    let ticket;
    try {
      ticket = await post("/v1/tickets", body);
    } catch (error) {
      button.disabled = false;
      if (!(error instanceof ApiError)) throw error;
      outcome.replaceChildren(problem(error.message));
      return;
    }
    if (!ticket.number) {
      outcome.replaceChildren(h("p", { class: "done", role: "status" }, t("support_recorded")));
      return;
    }
    location.hash = `${HERE}?ticket=${encodeURIComponent(ticket.number)}`;
    announce(t("support_sent", { number: ticket.number }));
  };
  return [
    pageHead(t("ticket_title"), h("a", { href: HERE }, t("support_back"))),
    h("p", { class: "muted" }, t("ticket_intro")),
    h("form", { class: "ticket", id: "ticket-form", onsubmit: submit },
      input("email", t("email"), { type: "email", required: true,
        value: draft.email || me.user.email || "", autocomplete: "email" }),
      input("shop_url", t("shop_url"), { type: "url", value: draft.shop_url || "" }),
      input("subject", t("subject"), { required: true, maxlength: 200,
        value: t("ticket_subject") }),
      field("t-message", t("message"),
        h("textarea", { id: "t-message", name: "message", rows: 10, required: true },
          draft.error_groups.length ? `${t("ticket_groups")} :\n${summary(draft.error_groups)}\n\n`
            : ""), true),
      member ? null : roleNote(role, "member", "ticket_readonly"),
      h("button", { type: "submit", class: "primary", disabled: !member,
        "aria-describedby": member ? null : "role-note" }, t("ticket_send")),
      outcome),
  ];
}

async function oneTicket(wanted, member, role, rerender) {
  let found;
  try {
    found = await get(`/v1/tickets/${encodeURIComponent(wanted)}`);
  } catch (error) {
    if (!(error instanceof ApiError) || ![404, 422].includes(error.status)) throw error;
    return [pageHead(t("nav_support"), h("a", { href: HERE }, t("support_back"))),
      problem(t("support_not_found"))];
  }
  const { ticket, replies } = found;
  return [
    pageHead(`${ticket.number} — ${ticket.subject}`, h("a", { href: HERE }, t("support_back"))),
    h("p", { class: "ticket-meta" }, statusBadge(ticket.status), " ",
      t("support_opened_on", { date: dateTime(ticket.created_at) })),
    thread(ticket, replies),
    member
      ? replyForm({
        path: `/v1/tickets/${encodeURIComponent(ticket.number)}/replies`,
        label: t("support_reply_label"),
        submit: t("support_reply_send"),
        sent: t("support_replied"),
        note: ticket.status === "resolved" ? t("support_reopen_note") : null,
        done: rerender,
      })
      : roleNote(role, "member", "ticket_readonly"),
  ];
}

async function list(params, member) {
  const before = params.get("avant") || "";
  const page = await get("/v1/tickets", { limit: 50, before });
  const rows = page.items.map((ticket) =>
    h("tr", { dataset: { number: ticket.number || "" } },
      cell(t("support_number"), ticket.number
        ? h("a", { href: `${HERE}?ticket=${encodeURIComponent(ticket.number)}` }, ticket.number)
        : "—"),
      cell(t("subject"), ticket.subject),
      cell(t("support_status"), statusBadge(ticket.status)),
      cell(t("support_updated"), dateTime(ticket.updated_at || ticket.created_at))));
  return [
    pageHead(t("nav_support"),
      member ? h("a", { class: "button", href: `${HERE}?nouveau` }, t("support_new")) : null),
    h("p", { class: "muted" }, t("support_intro")),
    rows.length
      ? table(t("support_list"),
        [t("support_number"), t("subject"), t("support_status"), t("support_updated")], rows,
        { id: "tickets" })
      : h("p", { id: "tickets-none" }, t("support_none")),
    page.next_before
      ? h("p", { class: "pager" },
        h("a", { href: `${HERE}?avant=${encodeURIComponent(page.next_before)}` }, t("support_more")))
      : null,
  ];
}

export async function render({ params, me, role, rerender }) {
  const member = allows(role, "member");
  if (params.get("ticket")) return oneTicket(params.get("ticket"), member, role, rerender);
  if (params.has("nouveau")) return newTicket(me, member, role);
  return list(params, member);
}
