// Clé PC: which machine holds the licence, and a reset behind a confirmation dialog.

import { get, post } from "../api.js";
import { announce, h } from "../dom.js";
import { dateTime, t } from "../i18n.js";
import { allows } from "../session.js";
import { pageHead, roleNote } from "../widgets.js";

export async function render({ rerender, role }) {
  const state = await get("/v1/pc-key");
  const stateLine = h("p", { id: "pc-key-state", class: "card",
    dataset: { bound: String(state.bound) } },
  state.bound ? t("pc_key_bound", { at: dateTime(state.bound_at) }) : t("pc_key_unbound"));
  if (!allows(role, "owner")) {
    return [pageHead(t("pc_key_title")), h("p", { class: "muted" }, t("pc_key_intro")), stateLine,
      roleNote(role, "owner", "pc_key_readonly")];
  }
  const opener = h("button", { type: "button", class: "primary danger" }, t("pc_key_reset"));
  const dialog = h(
    "dialog",
    { "aria-labelledby": "pc-key-confirm-title", "aria-describedby": "pc-key-confirm-text" },
    h("form", { method: "dialog" },
      h("h2", { id: "pc-key-confirm-title" }, t("pc_key_confirm_title")),
      h("p", { id: "pc-key-confirm-text" }, t("pc_key_confirm_text")),
      h("div", { class: "row buttons" },
        h("button", { value: "cancel", class: "secondary", autofocus: true }, t("cancel")),
        h("button", { value: "confirm", class: "primary danger" }, t("pc_key_confirm")))),
  );
  opener.addEventListener("click", () => dialog.showModal());
  dialog.addEventListener("close", async () => {
    if (dialog.returnValue !== "confirm") return opener.focus();
    try {
      await post("/v1/pc-key/reset");
      announce(t("pc_key_done"));
    } catch (error) {
      announce(error.message, "problem");
    }
    await rerender();
  });
  return [
    pageHead(t("pc_key_title")),
    h("p", { class: "muted" }, t("pc_key_intro")),
    stateLine,
    opener,
    dialog,
  ];
}
