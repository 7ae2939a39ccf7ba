// The shell: sign-in, header and navigation, hash routing (every page can be bookmarked),
// the notification corner.

import * as api from "./api.js";
import { h, mount } from "./dom.js";
import { lang, setLang, t } from "./i18n.js";
import * as notifications from "./notifications.js";
import * as session from "./session.js";
import { pageHead, problem } from "./widgets.js";
import * as actions from "./pages/actions.js";
import * as configurations from "./pages/configurations.js";
import * as dashboard from "./pages/dashboard.js";
import * as groups from "./pages/groups.js";
import * as pcKey from "./pages/pc-key.js";
import * as reports from "./pages/reports.js";
import * as ticket from "./pages/ticket.js";

const PAGES = {
  "tableau-de-bord": { nav: "nav_dashboard", page: dashboard },
  rapports: { nav: "nav_reports", page: reports },
  groupes: { nav: "nav_groups", page: groups },
  configurations: { nav: "nav_configurations", page: configurations },
  actions: { nav: "nav_actions", page: actions },
  "cle-pc": { nav: "nav_pc_key", page: pcKey },
  ticket: { nav: "nav_ticket", page: ticket },
};
const HOME = "tableau-de-bord";
const SIGN_IN = "connexion";

const main = document.getElementById("page");
const top = document.getElementById("top");
let rendering = 0;

export function parseHash() {
  const [path, query] = location.hash.replace(/^#\/?/, "").split("?");
  return { name: path || HOME, params: new URLSearchParams(query || "") };
}

function toggleLanguage() {
  setLang(lang() === "fr" ? "en" : "fr");
  route();
}

function languageButton() {
  return h(
    "button",
    { type: "button", class: "link-button", lang: lang() === "fr" ? "en" : "fr",
      "aria-label": t("switch_language_label"), onclick: toggleLanguage },
    t("switch_language"),
  );
}

function header(current) {
  const links = Object.entries(PAGES).map(([name, { nav }]) =>
    h("li", {}, h("a", { href: `#/${name}`, "aria-current": name === current ? "page" : null },
      t(nav))),
  );
  mount(
    top,
    h("div", { class: "brand" }, h("a", { href: `#/${HOME}` }, t("product"))),
    h("nav", { "aria-label": t("menu") }, h("ul", {}, links)),
    h("div", { class: "tools" }, languageButton(),
      h("button", { type: "button", class: "link-button", onclick: signOut }, t("sign_out"))),
  );
  top.hidden = false;
}

function signOut() {
  session.signOut();
  notifications.hide();
  location.hash = `#/${SIGN_IN}`;
}

function signInPage() {
  top.hidden = true;
  notifications.hide();
  const reason = session.takeReason();
  const message = h("p", { class: "problem", role: "alert", id: "signin-problem" }, reason || "");
  message.hidden = !reason;
  const input = h("input", { id: "token", name: "token", type: "password", autocomplete: "off",
    spellcheck: "false", required: true, "aria-describedby": "signin-intro signin-problem" });
  const submit = async (event) => {
    event.preventDefault();
    const value = input.value.trim();
    if (!value) {
      message.textContent = t("signin_empty");
      message.hidden = false;
      return;
    }
    session.signIn(value);
    try {
      await api.get("/v1/account");
      location.hash = `#/${HOME}`;
    } catch (error) {
      if (!(error instanceof api.ApiError) || ![401, 403].includes(error.status)) {
        message.textContent = error.message;
        message.hidden = false;
      }
    }
  };
  return h(
    "section",
    { class: "signin" },
    h("div", { class: "signin-lang" }, languageButton()),
    h("h1", {}, t("signin_title")),
    h("p", { id: "signin-intro" }, t("signin_intro")),
    message,
    h(
      "form",
      { onsubmit: submit },
      h("label", { for: "token" }, t("signin_token")),
      input,
      h("button", { type: "submit", class: "primary" }, t("signin_submit")),
    ),
  );
}

async function route() {
  const turn = ++rendering;
  document.documentElement.lang = lang();
  document.querySelector(".skip").textContent = t("skip");
  const { name, params } = parseHash();
  if (name === SIGN_IN || !session.token()) {
    if (name !== SIGN_IN) return location.replace(`#/${SIGN_IN}`);
    document.title = `${t("signin_title")} — ERO`;
    mount(main, signInPage());
    main.dataset.page = SIGN_IN;
    main.querySelector("input").focus();
    return;
  }
  const entry = PAGES[name];
  header(name);
  document.title = `${entry ? t(entry.nav) : "ERO"} — ERO`;
  delete main.dataset.page;
  mount(main, h("p", { class: "loading", role: "status" }, t("loading")));
  notifications.refresh();
  let content;
  try {
    content = entry ? await entry.page.render({ params, rerender: route }) : [
      pageHead(t("not_found")),
    ];
  } catch (error) {
    if (error instanceof api.ApiError && [401, 403].includes(error.status)) return;
    content = problem(error.message);
  }
  if (turn !== rendering) return; // a newer navigation won
  mount(main, content);
  main.dataset.page = entry ? name : "not-found";
}

api.unauthorised.addEventListener("signout", (event) => {
  session.signOut(event.detail);
  if (parseHash().name === SIGN_IN) route();
  else location.hash = `#/${SIGN_IN}`;
});

document.querySelector(".skip").addEventListener("click", (event) => {
  event.preventDefault(); // the hash is the router's
  main.focus();
});

window.addEventListener("hashchange", async () => {
  await route();
  if (parseHash().name !== SIGN_IN) main.focus();
});
route();
