// What a password must be, as the server says (GET /v1/auth/policy), listed before any typing;
// then, as the person types, each rule met or not. The length is counted here (the policy gives
// its bounds); every other rule is the server's verdict (POST /v1/auth/password/check, about
// 300 ms after the last key). The page only mirrors the server: its answer wins, the length
// included.

import { anonymous, bilingual } from "./api.js";
import { h } from "./dom.js";
import { t } from "./i18n.js";

const DEBOUNCE_MS = 300;
const MARKS = { unknown: "•", met: "✓", unmet: "✗" };

export function loadPolicy() {
  return anonymous("/v1/auth/policy");
}

// Characters as the server counts them: Unicode code points after NFKC.
function length(password) {
  return [...password.normalize("NFKC")].length;
}

// `input`: the new password's field; `token`: the password link being used (its account's
// e-mail and shop name count too). Returns the list's element and `showFailed(rules)`, for a
// refusal of the server (422 `detail.rules`).
export function rulesChecker(policy, input, { token = null, id = "password-rules" } = {}) {
  const judges = {
    password_too_short: (n) => n >= policy.min_chars,
    password_too_long: (n) => n <= policy.max_chars,
  };
  const items = new Map();
  const list = h("ul", { class: "plain rules", id, "aria-labelledby": `${id}-intro` },
    policy.rules.map((rule) => {
      const state = h("span", { class: "visually-hidden rule-state" });
      const li = h("li", { class: "rule", dataset: { rule: rule.code, state: "unknown" } },
        h("span", { class: "rule-mark", "aria-hidden": "true" }, MARKS.unknown), " ",
        bilingual(rule), state);
      items.set(rule.code, li);
      return li;
    }));
  const summary = h("p", { class: "muted rules-summary", id: `${id}-summary`,
    "aria-live": "polite" });
  let timer = 0;
  let turn = 0;

  function set(code, state) {
    const li = items.get(code);
    if (!li) return;
    li.dataset.state = state;
    li.querySelector(".rule-mark").textContent = MARKS[state];
    li.querySelector(".rule-state").textContent = state === "unknown" ? ""
      : ` (${t(state === "met" ? "rule_met" : "rule_unmet")})`;
  }

  function summarise() {
    const states = [...items.values()].map((li) => li.dataset.state);
    if (states.includes("unknown")) return;
    const unmet = states.filter((s) => s === "unmet").length;
    summary.textContent = unmet ? t("rules_unmet", { n: unmet }) : t("rules_all_met");
  }

  // The server's verdict: the rules it lists are not met, every other one is.
  function apply(failed) {
    const codes = new Set(failed.map((rule) => rule.code));
    for (const code of items.keys()) set(code, codes.has(code) ? "unmet" : "met");
    summarise();
  }

  async function check(password, mine) {
    list.setAttribute("aria-busy", "true");
    try {
      const verdict = await anonymous("/v1/auth/password/check",
        token ? { password, token } : { password });
      if (mine === turn && input.value === password) apply(verdict.failed);
    } catch (error) {
      if (mine === turn) summary.textContent = error.message;
    } finally {
      if (mine === turn) list.removeAttribute("aria-busy");
    }
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    const mine = ++turn;
    const password = input.value;
    summary.textContent = "";
    list.removeAttribute("aria-busy");
    const n = length(password);
    let fits = Boolean(password);
    for (const [code, judge] of Object.entries(judges)) {
      const ok = judge(n);
      fits &&= ok;
      set(code, password ? (ok ? "met" : "unmet") : "unknown");
    }
    // The server judges the rest only once the length fits.
    if (!fits) {
      for (const code of items.keys()) if (!judges[code]) set(code, "unknown");
      return;
    }
    list.setAttribute("aria-busy", "true");
    timer = setTimeout(() => check(password, mine), DEBOUNCE_MS);
  });

  const element = h("div", { class: "policy" },
    h("p", { id: `${id}-intro`, class: "policy-intro" }, t("policy_intro")),
    list,
    summary);
  return { element, showFailed: apply, describedBy: `${id}-intro ${id}` };
}

// The server's refusal (a 422): each rule it names, as a list.
export function refusal(rules) {
  return h("div", { class: "refusal", role: "alert" },
    h("p", { class: "problem" }, t("password_refused")),
    h("ul", { class: "failed-rules" },
      rules.map((rule) => h("li", { dataset: { rule: rule.code } }, bilingual(rule)))));
}
