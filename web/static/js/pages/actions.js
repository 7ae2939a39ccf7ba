// Actions: the remote-action queue, pending and done; add one, cancel a pending one.

import { ApiError, get, post } from "../api.js";
import { announce, h } from "../dom.js";
import { dateTime, labelOf, t } from "../i18n.js";
import { allows } from "../session.js";
import { cell, field, pageHead, problem, roleNote, table } from "../widgets.js";
import { actionCatalog } from "../remote-action.js";

const WAITING = ["pending", "dispatched"];

// Who queued it, as the audit names them: a person "Name <e-mail>" by their name, a script
// "reader:<key name>" by its key's name.
function author(actor) {
  const person = /^(.+) <[^>]+>$/.exec(actor);
  if (person) return person[1];
  if (actor === "reader") return t("by_key");
  return actor.replace(/^reader:/, "");
}

async function cancel(action, rerender) {
  try {
    await post(`/v1/actions/${encodeURIComponent(action.action_id)}/cancel`);
    announce(t("cancelled_action"));
  } catch (error) {
    announce(error.message, "problem");
  }
  await rerender();
}

function list(id, actions, rerender, member) {
  if (!actions.length) return h("p", { id }, t("no_actions"));
  return table(t("actions_title"), [t("action"), t("reference"), t("status"), t("created"),
    t("expires"), t("result"), ""],
  actions.map((a) => h("tr", { dataset: { actionId: a.action_id, status: a.status } },
    cell(t("action"), labelOf(a)),
    cell(t("reference"), a.order_reference || "—"),
    cell(t("status"), h("span", { class: `status status-${a.status}` }, t(`status_${a.status}`))),
    cell(t("created"), `${dateTime(a.created_at)} ${t("by")} ${author(a.created_by)}`),
    cell(t("expires"), dateTime(a.expires_at)),
    cell(t("result"), a.output || "—"),
    cell("", member && a.status === "pending"
      ? h("button", { type: "button", onclick: () => cancel(a, rerender) }, t("cancel_action"))
      : ""),
  )), { id });
}

function addForm(catalog, rerender) {
  const message = h("div", { "aria-live": "polite" });
  const reference = field("a-reference", t("order_reference"),
    h("input", { id: "a-reference", name: "order_reference" }));
  const needs = (name) => catalog.find((a) => a.action === name)?.needs_order_reference;
  reference.hidden = !needs(catalog[0].action);
  const submit = async (event) => {
    event.preventDefault();
    const data = new FormData(event.target);
    const action = data.get("action");
    try {
      await post("/v1/actions", { action,
        order_reference: needs(action) ? String(data.get("order_reference")).trim() : null });
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      message.replaceChildren(problem(error.message));
      return;
    }
    announce(t("queued", { label: labelOf(catalog.find((a) => a.action === action)) }));
    await rerender();
  };
  return h(
    "form",
    { class: "card add-action", onsubmit: submit },
    h("h2", {}, t("add_action")),
    h("div", { class: "row" },
      field("a-action", t("action"), h("select", { id: "a-action", name: "action",
        onchange: (event) => { reference.hidden = !needs(event.target.value); } },
      catalog.map((a) => h("option", { value: a.action }, labelOf(a))))),
      reference,
      h("div", { class: "field" }, h("button", { type: "submit", class: "primary" }, t("add")))),
    message,
  );
}

export async function render({ rerender, role }) {
  const member = allows(role, "member");
  const [catalog, actions] = await Promise.all([actionCatalog(), get("/v1/actions")]);
  const newest = [...actions].sort((a, b) => b.created_at.localeCompare(a.created_at));
  return [
    pageHead(t("actions_title")),
    h("p", { class: "muted" }, t("actions_intro")),
    member ? addForm(catalog, rerender) : roleNote(role, "member", "actions_readonly"),
    h("h2", {}, t("pending")),
    list("pending-actions", newest.filter((a) => WAITING.includes(a.status)), rerender, member),
    h("h2", {}, t("done")),
    list("done-actions", newest.filter((a) => !WAITING.includes(a.status)), rerender, member),
  ];
}
