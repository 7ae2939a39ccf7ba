// Mon compte, the licence's part: the shop's contact details (contact e-mail, shop URL, phone:
// they pre-fill the tickets; an owner changes them, each error shown beside its field) and the
// versions the connector reports at its syncs.

import { ApiError, bilingual, get, put } from "../api.js";
import { announce, h } from "../dom.js";
import { dateTime, t } from "../i18n.js";
import { allows } from "../session.js";
import { cell, field, problem, roleNote, table } from "../widgets.js";

const FIELDS = [
  ["email", "account_contact_email", { type: "email", autocomplete: "email", maxlength: 254 }],
  ["shop_url", "shop_url", { type: "url", autocomplete: "url", maxlength: 2048,
    placeholder: "https://" }],
  ["phone", "account_phone", { type: "tel", autocomplete: "tel", maxlength: 40 }],
];

function contact(account, owner, role, licence) {
  const inputs = {};
  const errors = {};
  const outcome = h("div", { id: "contact-outcome", "aria-live": "assertive" });
  const fields = FIELDS.map(([name, label, attrs]) => {
    const id = `contact-${name.replace("_", "-")}`;
    errors[name] = h("p", { class: "field-error", id: `${id}-error`, hidden: true });
    inputs[name] = h("input", { id, name, value: account[name] || "", readonly: !owner,
      "aria-describedby": `${id}-error`, ...attrs });
    return h("div", { class: "field wide" }, h("label", { for: id }, t(label)), inputs[name],
      errors[name]);
  });
  const clear = () => {
    for (const name of Object.keys(inputs)) {
      errors[name].hidden = true;
      inputs[name].removeAttribute("aria-invalid");
    }
    outcome.replaceChildren();
  };
  const submit = async (event) => {
    event.preventDefault();
    clear();
    const body = {};
    for (const [name, input] of Object.entries(inputs)) body[name] = input.value.trim() || null;
    try {
      await put("/v1/account", body);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      const placed = error.invalid.filter((e) => inputs[e.loc?.[1]]);
      for (const e of placed) {
        const name = e.loc[1];
        errors[name].textContent = e.ctx?.fr ? bilingual(e.ctx) : e.msg;
        errors[name].hidden = false;
        inputs[name].setAttribute("aria-invalid", "true");
      }
      if (placed.length) inputs[placed[0].loc[1]].focus();
      else outcome.replaceChildren(problem(error.message));
      return;
    }
    outcome.replaceChildren(h("p", { class: "done", role: "status" }, t("account_contact_saved")));
    announce(t("account_contact_saved"));
  };
  return h("section", { class: "card", "aria-labelledby": "contact-title" },
    h("h2", { id: "contact-title" }, t("account_contact")),
    h("p", { class: "muted" }, licence?.name ? `${licence.name} — ` : "", t("account_contact_intro")),
    h("form", { id: "contact-form", onsubmit: submit, novalidate: true },
      fields,
      owner ? null : roleNote(role, "owner", "account_contact_readonly"),
      outcome,
      owner ? h("button", { type: "submit", class: "primary" }, t("account_contact_save")) : null));
}

function versions(connectors) {
  const columns = [t("account_connector_version"), t("account_erp_version"),
    t("account_shop_version"), t("account_reported_at")];
  return h("section", { class: "card", "aria-labelledby": "versions-title" },
    h("h2", { id: "versions-title" }, t("account_versions")),
    connectors.length
      ? table(t("account_versions"), columns, connectors.map((c) => h("tr", {},
        cell(columns[0], c.connector_version || "—"),
        cell(columns[1], c.erp_version || "—"),
        cell(columns[2], c.shop_version || "—"),
        cell(columns[3], dateTime(c.reported_at)))), { id: "connector-versions" })
      : h("p", { class: "muted", id: "versions-none" }, t("account_versions_none")));
}

export async function licenceSections({ role, licence }) {
  const [account, connectors] = await Promise.all([get("/v1/account"),
    get("/v1/account/connectors")]);
  return [contact(account, allows(role, "owner"), role, licence), versions(connectors)];
}
