// Fleet error groups: the problems of every licence, ranked by how many licences they hit,
// and for one of them the licences affected and the versions they run ("which ERP or CMS
// update broke 300 shops today").

import { get } from "../../api.js";
import { h } from "../../dom.js";
import { dateTime, hintOf, number, t } from "../../i18n.js";
import { cell, kbLink, levelBadge, originLabel, pageHead, table } from "../../widgets.js";
import { PERIODS, licenceLink, periodOf, sinceOf, statusBadge, versions } from "../common.js";

function periodPicker(period, extra = {}) {
  return h("nav", { class: "period-picker", "aria-label": t("console_period") },
    Object.keys(PERIODS).map((name) => h("a", {
      class: name === period ? "button primary" : "button secondary",
      href: `#/groupes?${new URLSearchParams({ ...extra, periode: name })}`,
      "aria-current": name === period ? "true" : null,
    }, t(`preset_${name}`))));
}

function groupHref(fingerprint, period) {
  return `#/groupes?${new URLSearchParams({ groupe: fingerprint, periode: period })}`;
}

function groupRow(g, rank, period) {
  const hint = hintOf(g.remediation);
  return h("tr", { class: `level-${g.level}`, dataset: { fingerprint: g.fingerprint } },
    cell(t("console_rank"), String(rank)),
    cell(t("console_licences_affected"), h("strong", { class: "licences-affected" },
      number(g.licences_affected))),
    cell(t("count"), number(g.count)),
    cell(t("level"), levelBadge(g.level)),
    cell(t("message"), h("a", { href: groupHref(g.fingerprint, period), class: "message" },
      g.sample_message), hint ? h("p", { class: "hint" }, hint) : null),
    cell(t("origin"), originLabel(g.origin)),
    cell(t("operation"), g.operation),
    cell(t("last_seen"), dateTime(g.last_seen)));
}

async function ranking(period) {
  const page = await get("/v1/admin/groups", { since: sinceOf(period), limit: 100 });
  return [
    pageHead(t("console_nav_groups"), periodPicker(period)),
    h("p", { class: "muted" }, t("console_groups_intro")),
    page.groups.length
      ? table(t("console_nav_groups"), [t("console_rank"), t("console_licences_affected"),
        t("count"), t("level"), t("message"), t("origin"), t("operation"), t("last_seen")],
      page.groups.map((g, i) => groupRow(g, i + 1, period)), { id: "fleet-groups" })
      : h("p", {}, t("console_no_groups")),
  ];
}

function versionTable(dimension, rows) {
  const title = t(`console_${dimension}_version`);
  return h("section", { class: "card versions-card", dataset: { dimension } },
    h("h3", {}, title),
    rows.length
      ? table(title, [t("version"), t("console_licences_affected"), t("console_in_fleet")],
        rows.map((v) => h("tr", { dataset: { version: v.version ?? "" } },
          cell(t("version"), v.version ?? h("span", { class: "muted" }, t("console_not_reported"))),
          cell(t("console_licences_affected"), h("strong", {}, number(v.licences))),
          cell(t("console_in_fleet"), t("console_of_fleet",
            { n: number(v.licences), total: number(v.fleet) })))),
        { id: `versions-${dimension}` })
      : h("p", { class: "muted" }, t("console_not_reported")));
}

function licenceRow(licence) {
  return h("tr", { dataset: { licenceId: licence.licence_id } },
    cell(t("console_licence"), licenceLink(licence.licence_id, licence.name)),
    cell(t("status"), licence.status ? statusBadge(licence.status) : "—"),
    cell(t("count"), number(licence.count)),
    cell(t("connectors"), number(licence.connectors_affected)),
    cell(t("last_seen"), dateTime(licence.last_seen)),
    cell(t("console_versions"), versions(licence.agent)));
}

async function detail(fingerprint, period) {
  const found = await get(`/v1/admin/groups/${encodeURIComponent(fingerprint)}`,
    { since: sinceOf(period) });
  const g = found.group;
  const hint = hintOf(g.remediation);
  return [
    pageHead(t("console_group_title"), periodPicker(period, { groupe: fingerprint })),
    h("p", {}, h("a", { href: `#/groupes?periode=${period}` }, t("console_back_to_groups"))),
    h("section", { class: "card", id: "group-detail" },
      h("p", { class: "message group-message" }, levelBadge(g.level), " ", g.sample_message),
      hint ? h("p", { class: "hint" }, hint) : null,
      kbLink(g.remediation),
      h("dl", { class: "facts console-facts" },
        h("dt", {}, t("console_licences_affected")),
        h("dd", { id: "group-licences" }, number(g.licences_affected)),
        h("dt", {}, t("count")), h("dd", {}, number(g.count)),
        h("dt", {}, t("origin")), h("dd", { id: "group-origin" }, originLabel(g.origin)),
        h("dt", {}, t("operation")), h("dd", {}, g.operation),
        h("dt", {}, t("first_seen")), h("dd", {}, dateTime(g.first_seen)),
        h("dt", {}, t("last_seen")), h("dd", {}, dateTime(g.last_seen)))),
    h("h2", {}, t("console_versions_involved")),
    h("p", { class: "muted" }, t("console_versions_intro")),
    h("div", { class: "versions-grid" },
      ["erp", "shop", "connector"].map((d) => versionTable(d, found.versions[d]))),
    h("h2", {}, t("console_licences_of_group")),
    found.licences.length < g.licences_affected
      ? h("p", { class: "muted" }, t("console_first_licences", { n: found.licences.length }))
      : null,
    table(t("console_licences_of_group"), [t("console_licence"), t("status"), t("count"),
      t("connectors"), t("last_seen"), t("console_versions")],
    found.licences.map(licenceRow), { id: "group-licences-table" }),
  ];
}

export function render({ params }) {
  const period = periodOf(params);
  const fingerprint = params.get("groupe");
  return fingerprint && /^\d+$/.test(fingerprint) ? detail(fingerprint, period) : ranking(period);
}
