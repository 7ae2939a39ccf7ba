// Clés et jetons: the licence's connector keys (a connector sends its reports with one) and API
// tokens (scripts read with one). An owner creates one (shown once, to copy) or revokes one.

import { ApiError, del, get, post } from "../api.js";
import { announce, h } from "../dom.js";
import { dateTime, t } from "../i18n.js";
import { allows } from "../session.js";
import { cell, confirmDialog, field, pageHead, problem, roleNote, table } from "../widgets.js";
import { copyButton } from "./account.js";
import { ROLES } from "./team.js";

const KINDS = ["connector", "token"];

function row(key, owner, rerender) {
  const revoked = Boolean(key.revoked_at);
  const label = key.name || t(`kind_${key.kind}`);
  let control = "";
  if (owner && !revoked) {
    const dialog = confirmDialog(`revoke-${key.key_id}`, t("revoke_title", { name: label }),
      t(key.kind === "connector" ? "revoke_connector_text" : "revoke_token_text"),
      t("revoke_confirm"), async () => {
        try {
          await del(`/v1/keys/${encodeURIComponent(key.key_id)}`);
        } catch (error) {
          if (!(error instanceof ApiError)) throw error;
          document.getElementById("keys-outcome")?.replaceChildren(problem(error.message));
          return;
        }
        await rerender();
        announce(t("revoked", { name: label }));
      });
    control = [h("button", { type: "button", class: "danger", onclick: () => dialog.ask() },
      t("revoke")), dialog];
  }
  return h("tr", { dataset: { keyId: key.key_id, kind: key.kind, revoked: String(revoked) } },
    cell(t("name"), key.name || "—"),
    cell(t("key_kind"), t(`kind_${key.kind}`)),
    cell(t("role"), key.kind === "token" && key.role ? t(`role_${key.role}`) : "—"),
    cell(t("created"), dateTime(key.created_at)),
    cell(t("status"), revoked ? `${t("key_revoked")} (${dateTime(key.revoked_at)})`
      : t("key_active")),
    owner ? cell("", control) : null);
}

function createForm(shown, rerender) {
  const outcome = h("div", { "aria-live": "polite" });
  const role = field("key-role", t("role"), h("select", { id: "key-role", name: "role" },
    ROLES.map((r) => h("option", { value: r, selected: r === "viewer" }, t(`role_${r}`)))));
  role.hidden = true;
  const submit = async (event) => {
    event.preventDefault();
    const data = new FormData(event.target);
    const kind = data.get("kind");
    const body = { kind, name: String(data.get("name")).trim() };
    if (kind === "token") body.role = data.get("role");
    let created;
    try {
      created = await post("/v1/keys", body);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      outcome.replaceChildren(problem(error.message));
      return;
    }
    await rerender();
    // After the list is drawn again: the key, once.
    const box = document.getElementById("new-key-box");
    box?.replaceChildren(
      h("h2", { tabindex: "-1", id: "new-key-title" }, t("key_created", { name: created.name })),
      h("p", { class: "warning" }, t("key_once")),
      h("p", {}, h("code", { id: "new-key", class: "secret" }, created.key)),
      copyButton(created.key));
    box?.querySelector("h2").focus();
  };
  return h("form", { class: "card", id: "create-key", onsubmit: submit },
    h("h2", {}, t("key_create")),
    h("div", { class: "row" },
      field("key-kind", t("key_kind"), h("select", { id: "key-kind", name: "kind",
        onchange: (event) => { role.hidden = event.target.value !== "token"; } },
        KINDS.map((k) => h("option", { value: k }, t(`kind_${k}`))))),
      field("key-name", t("name"), h("input", { id: "key-name", name: "name", required: true,
        maxlength: 200, autocomplete: "off" })),
      role,
      h("div", { class: "field" }, h("button", { type: "submit", class: "primary" }, t("key_create_submit")))),
    outcome,
    shown);
}

export async function render({ role, rerender }) {
  const owner = allows(role, "owner");
  const head = [pageHead(t("nav_keys")), h("p", { class: "muted" }, t("keys_intro"))];
  let keys;
  try {
    keys = await get("/v1/keys");
  } catch (error) {
    if (!(error instanceof ApiError) || error.status === 401) throw error;
    return [...head, owner ? null : roleNote(role, "owner", "keys_readonly"), problem(error.message)];
  }
  const columns = [t("name"), t("key_kind"), t("role"), t("created"), t("status")];
  if (owner) columns.push("");
  const newest = [...keys].sort((a, b) => b.created_at.localeCompare(a.created_at));
  return [
    ...head,
    owner ? null : roleNote(role, "owner", "keys_readonly"),
    owner ? createForm(h("div", { id: "new-key-box", class: "new-key", "aria-live": "polite" }), rerender)
      : null,
    h("div", { id: "keys-outcome", "aria-live": "assertive" }),
    newest.length
      ? table(t("nav_keys"), columns, newest.map((k) => row(k, owner, rerender)), { id: "keys" })
      : h("p", {}, t("no_keys")),
  ];
}
