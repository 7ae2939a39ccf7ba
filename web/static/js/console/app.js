// The vendor's console at /console: the same session as the merchants' pages (an operator
// signs in at /#/connexion like anyone), its own menu and hash routes. A person who is not an
// operator sees only that the console is not for them.
//
// A console page is a module of pages/ exporting `render(context)` that returns the page's
// nodes (or a promise of them); `context` is {params, rerender, me}. It registers in PAGES.

import * as api from "../api.js";
import { h, mount } from "../dom.js";
import { lang, setLang, t } from "../i18n.js";
import * as session from "../session.js";
import { pageHead, problem } from "../widgets.js";
import * as deadLetters from "./pages/dead-letters.js";
import * as groups from "./pages/groups.js";
import * as help from "./pages/help.js";
import * as journal from "./pages/journal.js";
import * as licences from "./pages/licences.js";
import * as notifications from "./pages/notifications.js";
import * as tickets from "./pages/tickets.js";

// The console's pages, in its menu.
const PAGES = {
  licences: { nav: "console_nav_licences", page: licences },
  groupes: { nav: "console_nav_groups", page: groups },
  "lettres-mortes": { nav: "console_nav_dead_letters", page: deadLetters },
  notifications: { nav: "console_nav_notifications", page: notifications },
  assistance: { nav: "console_nav_support", page: tickets },
  aide: { nav: "console_nav_help", page: help },
  journal: { nav: "console_nav_journal", page: journal },
};
const HOME = "licences";
const SIGN_IN = "/#/connexion?suite=console";

const main = document.getElementById("page");
const top = document.getElementById("top");
let rendering = 0;
let me = null;

function parseHash() {
  const [path, query] = location.hash.replace(/^#\/?/, "").split("?");
  return { name: path || HOME, params: new URLSearchParams(query || "") };
}

function languageButton() {
  return h(
    "button",
    { type: "button", class: "link-button", lang: lang() === "fr" ? "en" : "fr",
      "aria-label": t("switch_language_label"),
      onclick: () => { setLang(lang() === "fr" ? "en" : "fr"); route(); } },
    t("switch_language"),
  );
}

async function signOut() {
  try {
    await api.request("/v1/auth/logout", { method: "POST", quiet: true });
  } catch {
    // the session is gone already, or the API is unreachable: this tab forgets it anyway
  }
  session.signOut();
  location.href = SIGN_IN;
}

function signOutButton() {
  return h("button", { type: "button", class: "link-button sign-out", onclick: signOut },
    t("sign_out"));
}

function header(name) {
  const link = (route, nav) =>
    h("li", {}, h("a", { href: `#/${route}`, "aria-current": route === name ? "page" : null },
      t(nav)));
  mount(
    top,
    h("div", { class: "top-row" },
      h("div", { class: "brand" }, h("a", { href: `#/${HOME}` }, t("console_product"))),
      h("div", { class: "tools" },
        h("span", { class: "who", id: "who" }, me.user.name || me.user.email),
        languageButton(),
        signOutButton())),
    h("nav", { "aria-label": t("menu") },
      h("ul", {}, Object.entries(PAGES).map(([route, { nav }]) => link(route, nav)))),
  );
  top.hidden = false;
}

function notOperator() {
  top.hidden = true;
  document.title = `${t("console_product")} — ERO`;
  mount(main, h("section", { class: "signin", id: "not-operator" },
    h("div", { class: "signin-lang" }, languageButton()),
    h("h1", { tabindex: "-1" }, t("console_not_operator")),
    h("p", {}, t("console_not_operator_help")),
    h("p", {}, h("a", { href: "/" }, t("console_to_merchant")), " · ", signOutButton())));
  main.dataset.page = "non-operateur";
}

async function route() {
  const turn = ++rendering;
  document.documentElement.lang = lang();
  document.querySelector(".skip").textContent = t("skip");
  if (!session.token()) {
    location.replace(SIGN_IN);
    return;
  }
  const { name, params } = parseHash();
  if (!me) {
    try {
      me = await api.get("/v1/auth/me");
    } catch (error) {
      if (error instanceof api.ApiError && error.status === 401) return; // back to sign-in
      if (turn !== rendering) return;
      mount(main, problem(error.message));
      return;
    }
    if (turn !== rendering) return;
  }
  if (!me.user.operator) return notOperator();
  const entry = PAGES[name];
  header(name);
  document.title = `${entry ? t(entry.nav) : t("console_product")} — ERO`;
  delete main.dataset.page;
  mount(main, h("p", { class: "loading", role: "status" }, t("loading")));
  let content;
  try {
    content = entry ? await entry.page.render({ params, rerender: route, me })
      : [pageHead(t("not_found"))];
  } catch (error) {
    if (error instanceof api.ApiError && error.status === 401) return;
    content = [pageHead(entry ? t(entry.nav) : t("console_product")), problem(error.message)];
  }
  if (turn !== rendering) return; // a newer navigation won
  mount(main, content);
  main.dataset.page = entry ? name : "not-found";
}

api.unauthorised.addEventListener("signout", (event) => {
  me = null;
  session.signOut(event.detail);
  location.href = SIGN_IN;
});

document.querySelector(".skip").addEventListener("click", (event) => {
  event.preventDefault(); // the hash is the router's
  main.focus();
});

window.addEventListener("hashchange", async () => {
  document.getElementById("status").classList.remove("shown"); // said of the page left
  await route();
  main.focus();
});
route();
