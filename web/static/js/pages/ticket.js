// Ouvrir un ticket: pre-filled from what ERO knows (account e-mail, shop URL, recent errors).

import { ApiError, get, post } from "../api.js";
import { h } from "../dom.js";
import { dateTime, number, t } from "../i18n.js";
import { allows } from "../session.js";
import { field, originLabel, pageHead, problem, roleNote } from "../widgets.js";

function summary(groups) {
  return groups
    .map((g) => `- ${g.message} (${number(g.count)} × ${g.operation}, ${originLabel(g.origin)}, ` +
      `${dateTime(g.last_at)})`)
    .join("\n");
}

export async function render({ me, role }) {
  const draft = await get("/v1/tickets/draft");
  const member = allows(role, "member");
  const outcome = h("div", { "aria-live": "polite" });
  const input = (name, label, attrs) =>
    field(`t-${name}`, label, h("input", { id: `t-${name}`, name, ...attrs }), true);
  const submit = async (event) => {
    event.preventDefault();
    const data = Object.fromEntries(new FormData(event.target));
    const body = {};
    for (const [key, value] of Object.entries(data)) body[key] = value.trim() || null;
    try {
      const ticket = await post("/v1/tickets", body);
      outcome.replaceChildren(h("p", { class: "done", role: "status" },
        t("ticket_sent", { id: ticket.ticket_id })));
      event.target.querySelector("button").disabled = true;
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      outcome.replaceChildren(problem(error.message));
    }
  };
  return [
    pageHead(t("ticket_title")),
    h("p", { class: "muted" }, t("ticket_intro")),
    h(
      "form",
      { class: "ticket", onsubmit: submit },
      input("email", t("email"), { type: "email", required: true,
        value: draft.email || me.user.email || "",
        autocomplete: "email" }),
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
      outcome,
    ),
  ];
}
