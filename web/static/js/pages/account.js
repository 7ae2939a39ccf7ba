// Mon compte: the profile and the licences held, the licence's contact details and connector
// versions (account-contact.js), a change of password (the policy mirrored as
// on the link's page), and the second factor: enable (QR code and secret, a code confirms it,
// ten recovery codes shown once) or disable (with the password).

import { ApiError, post } from "../api.js";
import { announce, h } from "../dom.js";
import { t } from "../i18n.js";
import { loadPolicy, refusal, rulesChecker } from "../password-rules.js";
import * as session from "../session.js";
import { cell, field, pageHead, problem, table } from "../widgets.js";
import { licenceSections } from "./account-contact.js";
import { revealToggle } from "./password.js";

// Something to take away: copied to the clipboard, or saved as a text file.
export function copyButton(text, label = t("copy")) {
  return h("button", { type: "button", class: "secondary", onclick: async () => {
    try {
      await navigator.clipboard.writeText(text);
      announce(t("copied"));
    } catch {
      announce(t("copy_failed"), "problem");
    }
  } }, label);
}

function downloadButton(text, name) {
  return h("button", { type: "button", class: "secondary", onclick: () => {
    const url = URL.createObjectURL(new Blob([text], { type: "text/plain;charset=utf-8" }));
    const link = h("a", { href: url, download: name, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  } }, t("download"));
}

function profile(me) {
  const row = (label, value) => [h("dt", {}, label), h("dd", {}, value || "—")];
  return h("section", { class: "card", "aria-labelledby": "profile-title" },
    h("h2", { id: "profile-title" }, t("profile")),
    h("dl", { class: "facts", id: "profile" },
      row(t("your_name"), me.user.name),
      row(t("email"), me.user.email),
      row(t("shop_name"), me.user.shop_name)),
    h("h3", {}, t("licences_held")),
    table(t("licences_held"), [t("licence"), t("role"), t("status")],
      me.licences.map((l) => h("tr", { dataset: { licence: l.licence_id } },
        cell(t("licence"), l.name),
        cell(t("role"), t(`role_${l.role}`)),
        cell(t("status"), t(`licence_${l.status}`)))), { id: "licences-held" }));
}

function changePassword(policy) {
  const current = h("input", { id: "current-password", name: "current_password",
    type: "password", required: true, autocomplete: "current-password" });
  const next = h("input", { id: "changed-password", name: "new_password", type: "password",
    required: true, autocomplete: "new-password", maxlength: 1024 });
  const rules = rulesChecker(policy, next, { id: "change-rules" });
  next.setAttribute("aria-describedby", rules.describedBy);
  const outcome = h("div", { id: "change-outcome", "aria-live": "assertive" });
  const submit = async (event) => {
    event.preventDefault();
    const form = event.target;
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    let answer;
    try {
      answer = await post("/v1/auth/password/change",
        { current_password: current.value, new_password: next.value });
    } catch (error) {
      button.disabled = false;
      if (!(error instanceof ApiError)) throw error;
      const failed = error.failedRules();
      if (failed.length) rules.showFailed(failed);
      outcome.replaceChildren(failed.length ? refusal(failed) : problem(error.message));
      (failed.length ? next : current).focus();
      return;
    }
    session.signIn(answer); // the new session: every other one is revoked
    button.disabled = false;
    form.reset();
    outcome.replaceChildren(h("p", { class: "done", role: "status" }, t("password_changed")));
  };
  return h("section", { class: "card", "aria-labelledby": "change-title" },
    h("h2", { id: "change-title" }, t("change_password")),
    h("form", { id: "change-password", onsubmit: submit },
      field("current-password", t("current_password"), current),
      field("changed-password", t("new_password"), next),
      revealToggle("show-changed-password", current, next),
      rules.element,
      outcome,
      h("button", { type: "submit", class: "primary" }, t("change_password_submit"))));
}

function recoveryCodes(codes, done) {
  const text = `${t("recovery_codes_file_head")}\n\n${codes.join("\n")}\n`;
  return h("div", { id: "recovery", class: "recovery" },
    h("h3", { tabindex: "-1", id: "recovery-title" }, t("recovery_codes")),
    h("p", { class: "warning" }, t("recovery_codes_once")),
    h("ol", { id: "recovery-codes", class: "codes" }, codes.map((c) => h("li", {}, h("code", {}, c)))),
    h("div", { class: "row buttons" },
      copyButton(codes.join("\n")),
      downloadButton(text, "ero-codes-de-secours.txt"),
      h("button", { type: "button", class: "primary", onclick: done }, t("recovery_codes_kept"))));
}

function enableSteps(setup, box, reload) {
  const code = h("input", { id: "totp-code", name: "code", required: true, inputmode: "numeric",
    autocomplete: "one-time-code", maxlength: 32, "aria-describedby": "totp-step-confirm" });
  const outcome = h("div", { id: "totp-outcome", "aria-live": "assertive" });
  const secret = setup.secret.match(/.{1,4}/g).join(" ");
  const confirm = async (event) => {
    event.preventDefault();
    let answer;
    try {
      answer = await post("/v1/auth/totp/enable", { code: code.value.trim() });
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      outcome.replaceChildren(problem(error.message));
      code.select();
      return;
    }
    const state = document.getElementById("totp-state");
    state.textContent = t("totp_on");
    state.dataset.enabled = "true";
    box.replaceChildren(recoveryCodes(answer.recovery_codes, reload));
    box.querySelector("#recovery-title").focus();
  };
  return h("div", { class: "totp-setup", id: "totp-setup" },
    h("p", {}, t("totp_step_scan")),
    // The API's SVG as an image: drawn, never parsed into the page (no script can run).
    h("img", { class: "qr", id: "totp-qr", alt: t("totp_qr_alt"),
      src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(setup.qr_svg)}` }),
    h("p", {}, t("totp_step_secret"), " ", h("code", { id: "totp-secret", class: "secret" }, secret)),
    h("form", { id: "totp-enable", onsubmit: confirm },
      h("p", { id: "totp-step-confirm" }, t("totp_step_confirm")),
      field("totp-code", t("signin_code"), code),
      outcome,
      h("button", { type: "submit", class: "primary" }, t("totp_confirm"))));
}

function secondFactor(me, reload) {
  const box = h("div", {});
  if (me.user.totp_enabled) {
    const password = h("input", { id: "totp-password", type: "password", required: true,
      autocomplete: "current-password" });
    const outcome = h("div", { "aria-live": "assertive" });
    const disable = async (event) => {
      event.preventDefault();
      try {
        await post("/v1/auth/totp/disable", { password: password.value });
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        outcome.replaceChildren(problem(error.message));
        password.select();
        return;
      }
      announce(t("totp_disabled"));
      await reload();
    };
    box.append(h("form", { id: "totp-disable", onsubmit: disable },
      field("totp-password", t("password"), password),
      outcome,
      h("button", { type: "submit", class: "danger primary" }, t("totp_disable"))));
  } else {
    const outcome = h("div", { "aria-live": "assertive" });
    const start = h("button", { type: "button", class: "primary", id: "totp-start",
      onclick: async () => {
        start.disabled = true;
        let setup;
        try {
          setup = await post("/v1/auth/totp/setup");
        } catch (error) {
          start.disabled = false;
          if (!(error instanceof ApiError)) throw error;
          outcome.replaceChildren(problem(error.message));
          return;
        }
        box.replaceChildren(enableSteps(setup, box, reload));
        box.querySelector("#totp-code").focus();
      } }, t("totp_enable"));
    box.append(h("p", { class: "muted" }, t("totp_intro")), start, outcome);
  }
  return h("section", { class: "card", "aria-labelledby": "totp-title" },
    h("h2", { id: "totp-title" }, t("totp_title")),
    h("p", { id: "totp-state", dataset: { enabled: String(me.user.totp_enabled) } },
      t(me.user.totp_enabled ? "totp_on" : "totp_off")),
    box);
}

export async function render({ me, reload, role, licence }) {
  const [policy, licenceParts] = await Promise.all([loadPolicy(), licenceSections({ role, licence })]);
  return [
    pageHead(t("nav_account")),
    h("div", { class: "account-grid" },
      profile(me),
      ...licenceParts,
      changePassword(policy),
      secondFactor(me, reload)),
  ];
}
