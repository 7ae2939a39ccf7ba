// The shell: the pages before sign-in, the header (product, licence switcher, the person), the
// menu on the left as the product has it (a button opens it on a phone), hash routing (every
// page can be bookmarked; each opens at its top, without the previous page's messages), the
// notifications, and the page a person holding no licence sees instead of everything else.

import * as api from "./api.js";
import { announce, h, mount, quiet } from "./dom.js";
import { lang, setLang, t } from "./i18n.js";
import * as notifications from "./notifications.js";
import * as session from "./session.js";
import { disclosure, pageHead, problem } from "./widgets.js";
import * as account from "./pages/account.js";
import * as actions from "./pages/actions.js";
import * as alerts from "./pages/alerts.js";
import * as configurations from "./pages/configurations.js";
import * as dashboard from "./pages/dashboard.js";
import * as forgot from "./pages/forgot.js";
import * as groups from "./pages/groups.js";
import * as keys from "./pages/keys.js";
import * as notificationsPage from "./pages/notifications.js";
import * as password from "./pages/password.js";
import * as pcKey from "./pages/pc-key.js";
import * as reference from "./pages/reference.js";
import * as reports from "./pages/reports.js";
import * as runs from "./pages/runs.js";
import * as signIn from "./pages/sign-in.js";
import * as signUp from "./pages/sign-up.js";
import * as support from "./pages/support.js";
import * as team from "./pages/team.js";
import * as trends from "./pages/trends.js";

// The licence's pages, in the menu in this order. `under`: listed beneath that entry;
// `menu: false`: reached from a page (the dashboard's gear, a report line's reference), not
// from the menu.
const PAGES = {
  "tableau-de-bord": { nav: "nav_dashboard", page: dashboard },
  tendances: { nav: "nav_trends", page: trends, under: "tableau-de-bord" },
  rapports: { nav: "nav_reports", page: reports },
  synchronisations: { nav: "nav_runs", page: runs },
  reference: { nav: "nav_reference", page: reference, menu: false },
  groupes: { nav: "nav_groups", page: groups },
  configurations: { nav: "nav_configurations", page: configurations },
  actions: { nav: "nav_actions", page: actions },
  assistance: { nav: "nav_support", page: support },
  notifications: { nav: "nav_notifications", page: notificationsPage },
  surveillance: { nav: "nav_alerts", page: alerts },
  "cle-pc": { nav: "nav_pc_key", page: pcKey, menu: false },
};
// Old addresses kept working: bookmarks of pages since renamed.
const ALIASES = { ticket: "assistance?nouveau" };
// The person's pages, in the menu under « Compte ». `owner`: offered to a licence's owners only.
const PERSONAL = {
  compte: { nav: "nav_account", page: account },
  equipe: { nav: "nav_team", page: team },
  cles: { nav: "nav_keys", page: keys, owner: true },
};
// The pages before sign-in.
const PUBLIC = {
  connexion: { title: "signin_title", page: signIn },
  inscription: { title: "signup_title", page: signUp },
  "mot-de-passe": { title: "password_title", page: password },
  oubli: { title: "forgot_title", page: forgot },
};
const HOME = "tableau-de-bord";
const SIGN_IN = "connexion";

const main = document.getElementById("page");
const top = document.getElementById("top");
const menu = document.getElementById("menu");
// The same icon as the tab's (index.html), next to the product's name.
const FAVICON = document.querySelector("link[rel=icon]").href;
let rendering = 0;
let me = null; // GET /v1/auth/me of this session, once per session or change
let noLicence = null; // the 403 no_licence detail, once the API answered it

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

function signOutButton() {
  return h("button", { type: "button", class: "link-button sign-out", onclick: signOut },
    t("sign_out"));
}

// The licence the pages are scoped to, among those the person holds.
function current() {
  return session.usable(me.licences).find((l) => l.licence_id === session.licence()) || null;
}

function switcher() {
  const open = session.usable(me.licences);
  if (open.length < 2) {
    return h("span", { class: "licence-name", id: "licence-name" }, current()?.name || "");
  }
  return h("div", { class: "licence-switch" },
    h("label", { for: "licence-switch" }, t("licence")),
    h("select", { id: "licence-switch", onchange: (event) => switchTo(event.target.value) },
      open.map((l) => h("option", { value: l.licence_id, selected: l.licence_id === session.licence() },
        l.name))));
}

async function switchTo(licenceId) {
  session.choose(licenceId);
  reports.forget();
  await route();
  announce(t("licence_switched", { name: current()?.name || "" }));
  document.getElementById("licence-switch")?.focus();
}

// The menu's link to a route; the notifications' carries the unread count.
function menuLink(route, nav, name) {
  const count = route === "notifications"
    ? h("span", { class: "count", id: "menu-unread", hidden: true }) : null;
  return h("a", { href: `#/${route}`, "aria-current": route === name ? "page" : null },
    h("span", {}, t(nav)), count ? " " : null, count);
}

function showUnread(feed) {
  const count = document.getElementById("menu-unread");
  if (!count) return;
  count.hidden = !feed.unread;
  count.textContent = feed.unread ? String(feed.unread) : "";
  count.setAttribute("aria-label", t("unread", { n: feed.unread }));
}

function menuItems(name) {
  const role = current()?.role;
  const entries = Object.entries(PAGES).filter(([, entry]) => entry.menu !== false);
  const beneath = (parent) => entries.filter(([, entry]) => entry.under === parent)
    .map(([route, { nav }]) => h("li", {}, menuLink(route, nav, name)));
  const top = entries.filter(([, entry]) => !entry.under).map(([route, { nav }]) => {
    const children = beneath(route);
    return h("li", {}, menuLink(route, nav, name),
      children.length ? h("ul", { class: "sub" }, children) : null);
  });
  const personal = Object.entries(PERSONAL)
    .filter(([, entry]) => !entry.owner || role === "owner")
    .map(([route, { nav }]) => h("li", {}, menuLink(route, nav, name)));
  return [...top,
    h("li", { class: "group" }, h("span", { class: "group-label", id: "menu-account" },
      t("nav_account_group")),
    h("ul", { class: "sub", "aria-labelledby": "menu-account" }, personal))];
}

function header(name) {
  const list = h("ul", { id: "menu-list" }, menuItems(name));
  const toggle = h("button", { type: "button", class: "menu-button", id: "menu-button" },
    t("menu"));
  mount(
    top,
    h("div", { class: "top-row" },
      disclosure(toggle, list),
      h("div", { class: "brand" }, h("a", { href: `#/${HOME}` },
        h("img", { src: FAVICON, alt: "", width: 24, height: 24 }),
        h("span", { class: "brand-name" }, t("product_short")),
        h("span", { class: "brand-long" }, t("product")))),
      switcher(),
      h("div", { class: "tools" },
        h("span", { class: "who", id: "who" }, me.user.name || me.user.email),
        languageButton(),
        signOutButton())),
  );
  mount(menu, list);
  showUnread(notifications.current());
  top.hidden = false;
  menu.hidden = false;
}

function forget() {
  me = null;
  noLicence = null;
  reports.forget();
  notifications.hide();
}

async function signOut() {
  try {
    await api.request("/v1/auth/logout", { method: "POST", quiet: true });
  } catch {
    // the session is gone already, or the API is unreachable: this tab forgets it anyway
  }
  forget();
  session.signOut();
  location.hash = `#/${SIGN_IN}`;
}

// A page before sign-in: a card of its own, its language button, no header.
function publicPage(title, ...content) {
  return h("section", { class: "signin" },
    h("div", { class: "signin-lang" }, languageButton()),
    h("h1", {}, title),
    ...content);
}

// Only this, whatever the route: « Vous ne possédez pas de licence », whom to contact, sign out.
function noLicencePage(detail) {
  const contact = detail?.contact_url && /^https?:\/\//i.test(detail.contact_url)
    ? h("p", {}, t("no_licence_contact_before"),
      h("a", { href: detail.contact_url, id: "contact-link", rel: "noopener" },
        t("no_licence_contact_link")), t("no_licence_contact_after"))
    : null;
  return h("section", { class: "signin no-licence", id: "no-licence" },
    h("div", { class: "signin-lang" }, languageButton()),
    h("h1", { tabindex: "-1" }, t("no_licence")),
    detail && detail.fr ? h("p", { class: "muted" }, api.bilingual(detail)) : null,
    me?.user.operator
      ? h("p", {}, h("a", { href: "/console", id: "console-link" }, t("console_open")))
      : contact,
    h("p", {}, h("button", { type: "button", class: "primary", onclick: signOut }, t("sign_out"))));
}

function focusFirst() {
  const first = main.querySelector("input:not([type=hidden]):not([readonly]), select, textarea") ||
    main.querySelector("h1");
  first?.focus();
}

async function routePublic(turn, name, entry, params) {
  top.hidden = true;
  menu.hidden = true;
  notifications.hide();
  if (name === SIGN_IN) forget();
  document.title = `${t(entry.title)} — ERO`;
  mount(main, h("p", { class: "loading", role: "status" }, t("loading")));
  let content;
  try {
    content = await entry.page.render({ params, rerender: route, publicPage });
  } catch (error) {
    content = publicPage(t(entry.title), problem(error.message));
  }
  if (turn !== rendering) return;
  mount(main, content);
  main.dataset.page = name;
  delete main.dataset.licence;
  focusFirst();
}

async function whoAmI() {
  me = await api.get("/v1/auth/me");
  session.setLicences(me.licences);
  if (!session.usable(me.licences).length && !noLicence) {
    // The contact address comes with the API's 403; any call of the licence brings it.
    try {
      await api.request("/v1/account", { quiet: true });
    } catch (error) {
      noLicence = error.detail || {};
    }
    noLicence ??= {};
  }
}

async function route() {
  const turn = ++rendering;
  document.documentElement.lang = lang();
  document.querySelector(".skip").textContent = t("skip");
  const { name, params } = parseHash();
  if (ALIASES[name]) return location.replace(`#/${ALIASES[name]}`);
  if (PUBLIC[name]) return routePublic(turn, name, PUBLIC[name], params);
  if (!session.token()) return location.replace(`#/${SIGN_IN}`);
  if (!me) {
    try {
      await whoAmI();
    } catch (error) {
      if (error instanceof api.ApiError && error.status === 401) return; // back to sign-in
      if (turn !== rendering) return;
      top.hidden = true;
      menu.hidden = true;
      mount(main, publicPage(t("product"), problem(error.message), signOutButton()));
      return;
    }
    if (turn !== rendering) return;
  }
  if (noLicence) {
    top.hidden = true;
    menu.hidden = true;
    notifications.hide();
    document.title = `${t("no_licence")} — ERO`;
    mount(main, noLicencePage(noLicence));
    main.dataset.page = "sans-licence";
    return;
  }
  const entry = PAGES[name] || PERSONAL[name];
  header(name);
  document.title = `${entry ? t(entry.nav) : "ERO"} — ERO`;
  delete main.dataset.page;
  mount(main, h("p", { class: "loading", role: "status" }, t("loading")));
  notifications.refresh(current()?.role, name === HOME);
  const context = {
    params,
    rerender: route,
    me,
    licence: current(),
    role: current()?.role || "viewer",
    // After a change of the profile, the password or the second factor.
    reload: async () => { me = null; await route(); },
  };
  let content;
  try {
    content = entry ? await entry.page.render(context) : [pageHead(t("not_found"))];
  } catch (error) {
    if (error instanceof api.ApiError && error.status === 401) return;
    if (error instanceof api.ApiError && error.code === "no_licence") return;
    content = [pageHead(entry ? t(entry.nav) : "ERO"), problem(error.message)];
  }
  if (turn !== rendering) return; // a newer navigation won
  mount(main, content);
  main.dataset.page = entry ? name : "not-found";
  main.dataset.licence = session.licence() || "";
}

notifications.onChange(showUnread);

api.unauthorised.addEventListener("signout", (event) => {
  // A page's calls run side by side: the first 401 signs the tab out, the others would only
  // draw the sign-in page again after it took the message.
  if (!session.token()) return;
  forget();
  session.signOut(event.detail);
  if (parseHash().name === SIGN_IN) route();
  else location.hash = `#/${SIGN_IN}`;
});

// Removed from the licence's team while a page was open: their licences are read again and
// the pages go on in another one (or say there is none). Once per licence, so that an API
// contradicting itself cannot loop.
const notHeld = new Set();
api.unauthorised.addEventListener("notheld", async (event) => {
  const gone = session.licence();
  if (!gone || notHeld.has(gone)) return;
  notHeld.add(gone);
  me = null;
  await route();
  announce(event.detail, "problem");
});

api.unauthorised.addEventListener("nolicence", (event) => {
  noLicence = event.detail || {};
  route();
});

document.querySelector(".skip").addEventListener("click", (event) => {
  event.preventDefault(); // the hash is the router's
  main.focus();
});

// A new page opens at its top, without what the previous one announced.
window.addEventListener("hashchange", async () => {
  quiet();
  await route();
  window.scrollTo(0, 0);
  if (!PUBLIC[parseHash().name] && main.dataset.page !== "sans-licence") {
    main.focus({ preventScroll: true });
  }
});
route();
