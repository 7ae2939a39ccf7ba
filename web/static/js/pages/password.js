// Mot de passe (#/mot-de-passe?jeton=…), from the e-mail's link: create the first password or
// reset it. The link says for whom and what; the format the password requires is listed before
// any typing, then mirrored rule by rule as the person types.

import { anonymous, ApiError } from "../api.js";
import { h } from "../dom.js";
import { dateTime, t } from "../i18n.js";
import { loadPolicy, refusal, rulesChecker } from "../password-rules.js";
import * as session from "../session.js";
import { field, problem } from "../widgets.js";

function gone(publicPage, message) {
  return publicPage(
    t("link_gone_title"),
    h("p", { class: "problem", role: "alert", id: "link-gone" }, message),
    h("p", {}, t("link_gone_help")),
    h("p", {}, h("a", { href: "#/oubli", class: "button primary" }, t("link_gone_new"))),
  );
}

// A checkbox that shows what is typed (a long passphrase is easier to get right when seen).
export function revealToggle(id, ...inputs) {
  return h("label", { class: "inline reveal" },
    h("input", { type: "checkbox", id, onchange: (event) => {
      for (const input of inputs) input.type = event.target.checked ? "text" : "password";
    } }), " ", t("show_password"));
}

export async function render({ params, publicPage }) {
  const token = params.get("jeton") || "";
  if (!token) return gone(publicPage, t("link_missing"));
  const [link, policy] = await Promise.all([
    anonymous("/v1/auth/link", { token }).catch((error) => error),
    loadPolicy(),
  ]);
  if (link instanceof ApiError && link.status === 410) return gone(publicPage, link.message);
  if (link instanceof Error) throw link;

  const creating = link.purpose === "create";
  const input = h("input", { id: "new-password", name: "password", type: "password",
    required: true, autocomplete: "new-password", maxlength: 1024 });
  const rules = rulesChecker(policy, input, { token });
  input.setAttribute("aria-describedby", rules.describedBy);
  const outcome = h("div", { id: "password-outcome", "aria-live": "assertive" });
  const page = [];

  const submit = async (event) => {
    event.preventDefault();
    const button = event.target.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      await anonymous("/v1/auth/password", { token, password: input.value });
    } catch (error) {
      button.disabled = false;
      if (!(error instanceof ApiError)) throw error;
      if (error.status === 410) {
        page[0].replaceWith(gone(publicPage, error.message));
        return;
      }
      const failed = error.failedRules();
      if (failed.length) rules.showFailed(failed);
      outcome.replaceChildren(failed.length ? refusal(failed) : problem(error.message));
      input.focus();
      return;
    }
    session.tell(t(creating ? "password_created" : "password_reset_done"), "done", link.email);
    location.hash = "#/connexion";
  };

  page.push(publicPage(
    t(creating ? "password_create_title" : "password_reset_title"),
    h("p", { id: "link-purpose", dataset: { purpose: link.purpose } },
      t(creating ? "password_create_for" : "password_reset_for"), " ",
      h("strong", { id: "link-email" }, link.email)),
    h("p", { class: "muted" }, t("link_valid_until", { at: dateTime(link.expires_at) })),
    h("form", { id: "password-form", onsubmit: submit },
      // For password managers: whose password this is.
      field("password-email", t("email"), h("input", { id: "password-email", type: "email",
        value: link.email, readonly: true, autocomplete: "username" })),
      field("new-password", t("new_password"), input),
      revealToggle("show-new-password", input),
      rules.element,
      outcome,
      h("button", { type: "submit", class: "primary" }, t("password_submit"))),
  ));
  return page[0];
}
