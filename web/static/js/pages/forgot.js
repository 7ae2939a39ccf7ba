// Mot de passe oublié: an e-mail; a reset link follows if it has an account. The answer is the
// same either way.

import { anonymous, ApiError, bilingual } from "../api.js";
import { h } from "../dom.js";
import { t } from "../i18n.js";
import { field, problem } from "../widgets.js";

export function render({ publicPage }) {
  const outcome = h("div", { id: "forgot-outcome", "aria-live": "polite" });
  const submit = async (event) => {
    event.preventDefault();
    const form = event.target;
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const answer = await anonymous("/v1/auth/forgot",
        { email: String(new FormData(form).get("email")).trim() });
      form.hidden = true;
      outcome.replaceChildren(h("p", { class: "done", role: "status", tabindex: "-1" },
        bilingual(answer)));
      outcome.firstChild.focus();
    } catch (error) {
      button.disabled = false;
      if (!(error instanceof ApiError)) throw error;
      outcome.replaceChildren(problem(error.message));
    }
  };
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
