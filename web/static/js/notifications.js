// The notification feed: the unread count in the menu, the corner of the dashboard (lower
// right, as the product has it: a button with the count, a panel to read them; the page's last
// block, so it never covers its content) and the Notifications page's list. The panel closes on
// every navigation; elsewhere than the dashboard the corner is not drawn.

import { get, post } from "./api.js";
import { announce, h, mount } from "./dom.js";
import { dateTime, lang, t } from "./i18n.js";
import { allows } from "./session.js";

const corner = document.getElementById("notifications");
let feed = { unread: 0, items: [] };
let open = false;
let member = false; // marking read needs a member of the licence
let shown = false; // false once hidden: an answer arriving later draws nothing
let inCorner = false;
const listeners = new Set();

corner.addEventListener("keydown", (event) => {
  if (event.key !== "Escape" || !open) return;
  open = false;
  draw();
  corner.querySelector(".notification-toggle").focus();
});

export function hide() {
  corner.hidden = true;
  open = false;
  shown = false;
}

// Called with the feed each time it changes (the menu's count, the Notifications page).
export function onChange(listener) {
  listeners.add(listener);
  listener(feed);
}

function changed() {
  for (const listener of listeners) listener(feed);
  if (shown) draw();
}

// On each navigation: the feed is read again, the panel closed; `withCorner`: the page shows
// the corner (the dashboard).
export async function refresh(role, withCorner) {
  member = allows(role, "member");
  shown = true;
  open = false;
  inCorner = withCorner;
  corner.hidden = !withCorner;
  if (!withCorner) mount(corner);
  try {
    feed = await get("/v1/notifications");
  } catch {
    return; // the page shows the API's problem; the feed just keeps its last state
  }
  if (shown) changed();
}

export function current() {
  return feed;
}

export async function markRead(id) {
  try {
    feed = await post(`/v1/notifications/${encodeURIComponent(id)}/read`);
  } catch (error) {
    announce(error.message, "problem");
    return false;
  }
  changed();
  return true;
}

export function item(n, canMark, onRead) {
  // The vendor writes French, and English when they can.
  const english = lang() === "en";
  return h(
    "li",
    { class: n.read ? "read" : "unread", dataset: { read: String(n.read) } },
    h("h3", {}, (english && n.title_en) || n.title),
    h("p", { class: "muted" }, dateTime(n.published_at)),
    h("p", {}, (english && n.body_en) || n.body),
    n.read || !canMark ? null
      : h("button", { type: "button",
        onclick: async () => { if (await markRead(n.notification_id)) onRead?.(); } },
      t("mark_read")),
  );
}

function draw() {
  if (!inCorner) return;
  corner.hidden = false;
  const badge = feed.unread
    ? h("span", { class: "count", "aria-label": t("unread", { n: feed.unread }) }, feed.unread)
    : null;
  const toggle = h(
    "button",
    { type: "button", class: "notification-toggle", "aria-expanded": String(open),
      "aria-controls": "notification-panel",
      onclick: () => { open = !open; draw(); if (open) corner.querySelector("h2").focus(); } },
    t("notifications"), badge ? " " : null, badge,
  );
  const backToToggle = () => corner.querySelector(".notification-toggle")?.focus();
  const panel = open
    ? h(
        "section",
        { id: "notification-panel", class: "notification-panel", "aria-label": t("notifications") },
        h("div", { class: "panel-head" }, h("h2", { tabindex: "-1" }, t("notifications")),
          h("button", { type: "button", class: "link-button",
            onclick: () => { open = false; draw(); backToToggle(); } },
            t("close"))),
        feed.items.length
          ? h("ul", { class: "plain" }, feed.items.map((n) => item(n, member, backToToggle)))
          : h("p", {}, t("no_notifications")),
        h("p", {}, h("a", { href: "#/notifications" }, t("all_notifications"))),
      )
    : null;
  mount(corner, panel, toggle);
}
