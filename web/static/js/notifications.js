// The notification corner (lower right): a button with the unread count, a panel to read them.

import { get, post } from "./api.js";
import { announce, h, mount } from "./dom.js";
import { dateTime, lang, t } from "./i18n.js";
import { allows } from "./session.js";

const corner = document.getElementById("notifications");
let feed = { unread: 0, items: [] };
let open = false;
let member = false; // marking read needs a member of the licence
let shown = false; // false once hidden: an answer arriving later draws nothing

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

export async function refresh(role) {
  member = allows(role, "member");
  shown = true;
  try {
    feed = await get("/v1/notifications");
  } catch {
    return; // the page shows the API's problem; the corner just keeps its last state
  }
  if (shown) draw();
}

async function markRead(id) {
  try {
    feed = await post(`/v1/notifications/${encodeURIComponent(id)}/read`);
  } catch (error) {
    announce(error.message, "problem");
    return;
  }
  draw();
  corner.querySelector(".notification-toggle").focus();
}

function item(n) {
  // The vendor writes French, and English when they can.
  const english = lang() === "en";
  return h(
    "li",
    { class: n.read ? "read" : "unread" },
    h("h3", {}, (english && n.title_en) || n.title),
    h("p", { class: "muted" }, dateTime(n.published_at)),
    h("p", {}, (english && n.body_en) || n.body),
    n.read || !member ? null
      : h("button", { type: "button", onclick: () => markRead(n.notification_id) }, t("mark_read")),
  );
}

function draw() {
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
  const panel = open
    ? h(
        "section",
        { id: "notification-panel", class: "notification-panel", "aria-label": t("notifications") },
        h("div", { class: "panel-head" }, h("h2", { tabindex: "-1" }, t("notifications")),
          h("button", { type: "button", class: "link-button",
            onclick: () => {
              open = false;
              draw();
              corner.querySelector(".notification-toggle").focus();
            } },
            t("close"))),
        feed.items.length
          ? h("ul", { class: "plain" }, feed.items.map(item))
          : h("p", {}, t("no_notifications")),
      )
    : null;
  mount(corner, panel, toggle);
}
