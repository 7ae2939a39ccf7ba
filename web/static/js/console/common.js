// What several console pages show the same way: a licence's status, the versions its
// connector reported, a link to a licence, the period of the fleet's views.

import { h } from "../dom.js";
import { dateTime, t } from "../i18n.js";

export const STATUSES = ["active", "expired", "revoked"];

export function statusBadge(status) {
  return h("span", { class: `badge licence-status status-${status}`, dataset: { status } },
    t(`console_status_${status}`));
}

export function licenceHref(licenceId) {
  return `#/licences?licence=${encodeURIComponent(licenceId)}`;
}

// A licence's name as a link to its page; a licence that no longer exists by a short reference.
export function licenceLink(licenceId, name) {
  return h("a", { href: licenceHref(licenceId), class: "licence-link" },
    name || t("console_unnamed_licence", { ref: licenceId.slice(0, 8) }));
}

// "4.2.1 · Sage 100 v12 · PrestaShop 8.1", each part named for screen readers and on a phone.
export function versions(agent) {
  const parts = [
    ["console_connector_version", agent.connector_version],
    ["console_erp_version", agent.erp_version],
    ["console_shop_version", agent.shop_version],
  ].filter(([, value]) => value);
  if (!parts.length) return h("span", { class: "muted" }, t("console_never_synced"));
  return h("ul", { class: "plain versions" },
    parts.map(([label, value]) => h("li", {}, h("span", { class: "muted" },
      t("console_labelled", { label: t(label) })), value)));
}

export function when(iso) {
  return iso ? dateTime(iso) : h("span", { class: "muted" }, t("console_never"));
}

// The fleet views' periods: the last 24 hours or 7 days, the API's `since`.
export const PERIODS = { "24h": 24, "7d": 24 * 7 };

export function periodOf(params) {
  return PERIODS[params.get("periode")] ? params.get("periode") : "24h";
}

export function sinceOf(period) {
  return new Date(Date.now() - PERIODS[period] * 3600 * 1000).toISOString();
}

// An audit entry in words: what changed, to what.
export function changeText(entry) {
  const after = entry.after || {};
  const what = t(`console_kind_${entry.kind.replace(".", "_")}`);
  const to = (value) => t("console_change_to", { what, value });
  if (entry.kind === "licence.status_set" && after.status) {
    return to(t(`console_status_${after.status}`));
  }
  if (entry.kind.startsWith("member.") && after.role) return to(t(`role_${after.role}`));
  if (entry.kind === "notification.published" && after.title) return to(after.title);
  if (entry.kind === "dead_letter.replayed" && after.replayed === false) {
    return to(t("console_replay_refused"));
  }
  return what;
}
