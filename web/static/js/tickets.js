// What the merchant's Assistance page and the console's support inbox share: a ticket's status,
// its thread (the first message, then the replies), and the form that adds a reply.

import { ApiError, post } from "./api.js";
import { announce, h } from "./dom.js";
import { dateTime, t } from "./i18n.js";
import { field, problem } from "./widgets.js";

export const STATUSES = ["open", "in_progress", "resolved"];

export function statusBadge(status) {
  return h("span", { class: `badge ticket-status ticket-${status}`, dataset: { status } },
    t(`support_status_${status}`));
}

function entry(side, author, at, message) {
  return h("li", { class: `reply side-${side}`, dataset: { side } },
    h("p", { class: "reply-head" },
      h("strong", {}, t(`support_side_${side}`)), " · ", author, " · ",
      h("time", { datetime: at }, dateTime(at))),
    h("p", { class: "reply-text message" }, message));
}

export function thread(ticket, replies) {
  return h("ol", { class: "thread plain", id: "thread", "aria-label": t("support_thread") },
    entry("merchant", ticket.email, ticket.created_at, ticket.message),
    replies.map((r) => entry(r.side, r.author, r.created_at, r.message)));
}

// POSTs {message} to `path`; `done()` once the reply is recorded (the page is drawn again).
export function replyForm({ path, label, submit, sent, done, note = null }) {
  const text = h("textarea", { id: "reply-message", name: "message", rows: 5, required: true,
    maxlength: 20000 });
  const outcome = h("div", { "aria-live": "assertive" });
  const onsubmit = async (event) => {
    event.preventDefault();
    const button = event.target.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      await post(path, { message: text.value.trim() });
    } catch (error) {
      button.disabled = false;
      if (!(error instanceof ApiError)) throw error;
      outcome.replaceChildren(problem(error.message));
      return;
    }
    await done();
    announce(sent);
  };
  return h("form", { class: "reply-form", id: "reply-form", onsubmit },
    field("reply-message", label, text, true),
    note ? h("p", { class: "muted" }, note) : null,
    outcome,
    h("button", { type: "submit", class: "primary" }, submit));
}
