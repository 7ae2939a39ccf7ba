// Licences: open a licence for a shop, optionally inviting its owner by e-mail.

import { ApiError, post } from "../../api.js";
import { h } from "../../dom.js";
import { t } from "../../i18n.js";
import { field, pageHead, problem } from "../../widgets.js";

export function render() {
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
        t("console_licence_created", { name: created.name ?? data.get("name") })));
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      outcome.replaceChildren(problem(error.message));
    } finally {
      button.disabled = false;
    }
  }
  return [
    pageHead(t("console_nav_licences")),
    h("form", { class: "card form", id: "licence-form", onsubmit: create },
      h("h2", {}, t("console_licence_new")),
      field("licence-name", t("console_licence_name"),
        h("input", { id: "licence-name", name: "name", required: true, maxlength: 200 })),
      field("licence-owner", t("console_licence_owner"),
        h("input", { id: "licence-owner", name: "owner", type: "email", autocomplete: "off" })),
      h("button", { type: "submit", class: "primary" }, t("console_licence_create"))),
    outcome,
  ];
}
