// The button that queues a problem's suggested remote action (POST /v1/actions), wherever a
// problem is shown: a report line, a dashboard problem, an error group. Members only; the
// PC-key reset is the owner's, on its own page.

import { ApiError, get, post } from "./api.js";
import { announce, h } from "./dom.js";
import { labelOf, t } from "./i18n.js";
import { allows } from "./session.js";

let catalog = null;

// A change of licence or of person: the catalog is read again.
export function forget() {
  catalog = null;
}

export function actionCatalog() {
  catalog ??= get("/v1/actions/catalog").catch((error) => {
    catalog = null;
    throw error;
  });
  return catalog;
}

// `name`: the remediation's action; `key`: unique on the page (the control's ids);
// `reference`: the order it is about, when known; `sourceEventId`: the report line, if any.
export function actionControl(name, { key, reference = "", sourceEventId = null }, actions, role) {
  if (!name) return null;
  if (name === "reset_pc_key") {
    if (!allows(role, "owner")) return null;
    return h("a", { href: "#/cle-pc", class: "button secondary" }, t("reset_pc_key_link"));
  }
  if (!allows(role, "member")) return null; // the page says why, once
  const spec = actions.find((a) => a.action === name);
  if (!spec) return null;
  const note = h("span", { class: "note", role: "status" });
  const askReference = spec.needs_order_reference && !reference;
  const inputId = `ref-${key}`;
  const input = askReference ? h("input", { id: inputId, name: "order_reference", required: true })
    : null;
  const label = labelOf(spec) + (spec.needs_order_reference && reference ? ` (${reference})` : "");
  const button = h("button", { type: "button", class: "queue", dataset: { action: name } },
    t("queue_action", { label }));
  button.addEventListener("click", async () => {
    const order = spec.needs_order_reference ? (reference || input.value.trim()) : null;
    if (spec.needs_order_reference && !order) {
      input.focus();
      note.textContent = t("order_reference");
      return;
    }
    button.disabled = true;
    try {
      await post("/v1/actions", { action: name, order_reference: order,
        source_event_id: sourceEventId });
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
