// Mot de passe oublié: an e-mail; a reset link follows if it has an account. The answer is the
// same either way.

import { h } from "../dom.js";
import { t } from "../i18n.js";
import { acceptedSubmit, field } from "../widgets.js";

export function render({ publicPage }) {
  const outcome = h("div", { id: "forgot-outcome", "aria-live": "polite" });
  const submit = acceptedSubmit("/v1/auth/forgot",
    (data) => ({ email: String(data.get("email")).trim() }), outcome);
  return publicPage(
    t("forgot_title"),
    h("p", {}, t("forgot_intro")),
    h("form", { id: "forgot-form", onsubmit: submit },
      field("forgot-email", t("email"), h("input", { id: "forgot-email", name: "email",
        type: "email", required: true, autocomplete: "email", spellcheck: "false" })),
      h("button", { type: "submit", class: "primary" }, t("forgot_submit"))),
    outcome,
    h("p", {}, h("a", { href: "#/connexion" }, t("back_to_signin"))),
  );
}
