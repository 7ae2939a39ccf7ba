// Créer un compte: an e-mail (and a name, a shop name); the e-mail that follows asks for the
// password. The answer is the same whatever the e-mail, so no one learns who has an account.

import { h } from "../dom.js";
import { t } from "../i18n.js";
import { acceptedSubmit, field } from "../widgets.js";

export function render({ publicPage }) {
  const outcome = h("div", { id: "signup-outcome", "aria-live": "polite" });
  const input = (name, label, attrs) =>
    field(`signup-${name}`, label, h("input", { id: `signup-${name}`, name, ...attrs }));
  const submit = acceptedSubmit("/v1/auth/signup", (data) => {
    const body = { email: String(data.get("email")).trim() };
    for (const key of ["name", "shop_name"]) {
      const value = String(data.get(key) || "").trim();
      if (value) body[key] = value;
    }
    return body;
  }, outcome);
  return publicPage(
    t("signup_title"),
    h("p", {}, t("signup_intro")),
    h("form", { id: "signup-form", onsubmit: submit },
      input("email", t("email"), { type: "email", required: true, autocomplete: "email",
        spellcheck: "false" }),
      input("name", t("your_name"), { autocomplete: "name", maxlength: 200 }),
      input("shop_name", t("shop_name"), { autocomplete: "organization", maxlength: 200 }),
      h("button", { type: "submit", class: "primary" }, t("signup_submit"))),
    outcome,
    h("p", {}, h("a", { href: "#/connexion" }, t("back_to_signin"))),
  );
}
