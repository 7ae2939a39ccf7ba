// Connexion E-Connecteur Cloud: e-mail and password, then the second factor's code when the
// account has one (a recovery code goes in the same field).

import { anonymous, ApiError } from "../api.js";
import { h } from "../dom.js";
import { t } from "../i18n.js";
import * as session from "../session.js";
import { field } from "../widgets.js";

const HOME = "#/tableau-de-bord";

// The API's words; for a 429, the wait it names (Retry-After) is counted down on the button,
// which waits as long (and said in the message if the API's words do not say it).
function showProblem(message, error, button) {
  message.className = "problem";
  message.dataset.kind = "problem";
  message.replaceChildren(error.message);
  message.hidden = false;
  if (error.status !== 429 || !error.retryAfter) return;
  if (!error.message.includes(String(error.retryAfter))) {
    message.append(` ${t("retry_in", { s: error.retryAfter })}`);
  }
  const label = button.textContent;
  let left = error.retryAfter;
  const draw = () => { button.textContent = `${label} (${t("seconds", { s: left })})`; };
  draw();
  button.disabled = true;
  button.dataset.retryAfter = String(left);
  const timer = setInterval(() => {
    left -= 1;
    if (left > 0 && button.isConnected) return draw();
    clearInterval(timer);
    button.disabled = false;
    button.textContent = label;
    delete button.dataset.retryAfter;
  }, 1000);
}

export function render({ params, publicPage }) {
  const told = session.takeMessage();
  const message = h("p", { id: "signin-message", class: told?.kind === "done" ? "done" : "problem",
    role: "alert", dataset: { kind: told?.kind || "problem" } }, told?.text || "");
  message.hidden = !told;
  const email = h("input", { id: "signin-email", name: "email", type: "email", required: true,
    autocomplete: "username", spellcheck: "false", value: session.takeEmail() || "",
    "aria-describedby": "signin-message" });
  const password = h("input", { id: "signin-password", name: "password", type: "password",
    required: true, autocomplete: "current-password", "aria-describedby": "signin-message" });
  const code = h("input", { id: "signin-code", name: "totp", required: true,
    autocomplete: "one-time-code", spellcheck: "false", autocapitalize: "characters",
    "aria-describedby": "signin-code-help signin-message" });
  const submit = h("button", { type: "submit", class: "primary" }, t("signin_submit"));
  const confirm = h("button", { type: "submit", class: "primary" }, t("signin_code_submit"));

  const credentials = h("form", { id: "signin-form", onsubmit: (event) => send(event, false) },
    field("signin-email", t("email"), email),
    field("signin-password", t("password"), password),
    submit);
  const second = h("form", { id: "signin-totp", onsubmit: (event) => send(event, true) },
    h("h2", {}, t("signin_code_title")),
    h("p", { id: "signin-code-help" }, t("signin_code_help")),
    field("signin-code", t("signin_code"), code),
    confirm,
    h("button", { type: "button", class: "link-button", onclick: () => step(false) },
      t("signin_restart")));
  second.hidden = true;

  function step(toCode) {
    credentials.hidden = toCode;
    second.hidden = !toCode;
    if (toCode) {
      code.value = "";
      code.focus();
    } else {
      password.value = "";
      (email.value ? password : email).focus();
    }
  }

  async function send(event, withCode) {
    event.preventDefault();
    const button = withCode ? confirm : submit;
    button.disabled = true;
    const body = { email: email.value.trim(), password: password.value };
    if (withCode) body.totp = code.value.trim();
    let answer;
    try {
      answer = await anonymous("/v1/auth/login", body);
    } catch (error) {
      button.disabled = false;
      if (!(error instanceof ApiError)) throw error;
      if (error.code === "totp_required") {
        message.hidden = true;
        step(true);
        return;
      }
      showProblem(message, error, button);
      if (withCode && (error.code === "totp_invalid" || error.status === 429)) code.select();
      else if (withCode) step(false);
      else password.select();
      return;
    }
    session.signIn(answer);
    // Signing in from the vendor's console goes back there.
    if (params.get("suite") === "console") location.assign("/console");
    else location.hash = HOME;
  }

  return publicPage(
    t("signin_title"),
    h("p", { id: "signin-intro" }, t("signin_intro")),
    message,
    credentials,
    second,
    h("ul", { class: "plain signin-links" },
      h("li", {}, h("a", { href: "#/oubli" }, t("forgot_link"))),
      h("li", {}, h("a", { href: "#/inscription" }, t("signup_link")))),
  );
}
