// Notifications: every notification of the licence, the unread first marked, each to mark
// as read (members).

import { get } from "../api.js";
import { h } from "../dom.js";
import { t } from "../i18n.js";
import { item } from "../notifications.js";
import { allows } from "../session.js";
import { pageHead, roleNote } from "../widgets.js";

export async function render({ role, rerender }) {
  const feed = await get("/v1/notifications");
  const member = allows(role, "member");
  return [
    pageHead(t("notifications")),
    h("p", { class: "muted", id: "notifications-unread" },
      feed.unread ? t("unread", { n: feed.unread }) : t("all_read")),
    member ? null : roleNote(role, "member", "notifications_readonly"),
    feed.items.length
      ? h("ul", { class: "plain notification-list", id: "notification-list" },
        feed.items.map((n) => item(n, member, rerender)))
      : h("p", {}, t("no_notifications")),
  ];
}
