// Groupes d'erreurs: identical problems counted together over 48 hours, each with its
// suggested action.

import { get } from "../api.js";
import { h } from "../dom.js";
import { dateTime, hintOf, number, t } from "../i18n.js";
import { actionCatalog, actionControl } from "../remote-action.js";
import { cell, kbLink, levelBadge, originLabel, pageHead, reportsHref, table } from "../widgets.js";

function row(g, actions, role) {
  const hint = hintOf(g.remediation);
  return h(
    "tr",
    { class: `level-${g.level}`, dataset: { fingerprint: g.fingerprint } },
    cell(t("level"), levelBadge(g.level)),
    cell(t("count"), h("a", { href: reportsHref(g.report_url) }, number(g.count))),
    cell(t("message"), h("span", { class: "message" }, g.sample_message),
      hint ? h("p", { class: "hint" }, hint) : null,
      kbLink(g.remediation),
      actionControl(g.remediation.action, { key: `group-${g.fingerprint}` }, actions, role)),
    cell(t("origin"), originLabel(g.origin)),
    cell(t("operation"), g.operation),
    cell(t("connectors"), g.connectors.join(", ")),
    cell(t("last_seen"), dateTime(g.last_seen)),
  );
}

export async function render({ role }) {
  const [page, actions] = await Promise.all([get("/v1/groups"), actionCatalog()]);
  return [
    pageHead(t("groups_title")),
    h("p", { class: "muted" }, t("groups_intro")),
    page.groups.length
      ? table(t("groups_title"), [t("level"), t("count"), t("message"), t("origin"),
        t("operation"), t("connectors"), t("last_seen")], page.groups.map((g) => row(g, actions, role)), { id: "groups" })
      : h("p", {}, t("no_groups")),
  ];
}
