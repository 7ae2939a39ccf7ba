// Tableau de bord: the last 48 hours in three tiles, overall and per connector, the hourly
// chart and the most frequent problems. Every figure links to the reports listing its events.

import { get } from "../api.js";
import { hourlyChart } from "../chart.js";
import { h } from "../dom.js";
import { dateTime, hintOf, number, t } from "../i18n.js";
import { kbLink, LEVELS, levelBadge, pageHead, reportsHref } from "../widgets.js";

function tiles(levels, scope, small = false) {
  return h(
    "ul",
    { class: `tiles${small ? " small" : ""}`, dataset: { scope } },
    LEVELS.map((level) =>
      h(
        "li",
        {},
        h(
          "a",
          { class: `tile level-${level}`, href: reportsHref(levels[level].report_url),
            dataset: { level, count: levels[level].count } },
          h("span", { class: "tile-label" }, t(level)),
          h("span", { class: "tile-count" }, number(levels[level].count)),
        ),
      ),
    ),
  );
}

function connectorCard(c) {
  return h(
    "li",
    { class: "connector card", dataset: { connector: c.connector_id } },
    h("h3", {}, c.connector_id),
    tiles(c.levels, c.connector_id, true),
    h(
      "p",
      { class: "muted" },
      `${t("last_event")} : ${dateTime(c.last_event_at)}`,
      c.last_sync
        ? [h("br"), `${t("last_sync")} : `,
          h("a", { href: reportsHref(c.last_sync.report_url) }, dateTime(c.last_sync.at))]
        : null,
    ),
  );
}

function group(g) {
  const hint = hintOf(g.remediation);
  return h(
    "li",
    { class: "card group" },
    h("p", {}, levelBadge(g.level), " ",
      h("a", { href: reportsHref(g.events.report_url) }, `${number(g.events.count)} ${t("events")}`),
      h("span", { class: "muted" }, ` — ${t("last_seen")} : ${dateTime(g.last_event_at)}`)),
    h("p", { class: "message" }, g.message),
    hint ? h("p", { class: "hint" }, hint) : null,
    kbLink(g.remediation) && h("p", {}, kbLink(g.remediation)),
  );
}

export async function render() {
  const board = await get("/v1/dashboard", { window: "48h" });
  return [
    pageHead(t("nav_dashboard"), h("a", { class: "button", href: "#/assistance?nouveau" }, t("open_ticket"))),
    h("p", { class: "muted" },
      `${t("last_48h")} (${dateTime(board.since)} → ${dateTime(board.until)})`),
    tiles(board.levels, "all"),
    h("h2", {}, t("hourly")),
    hourlyChart(board.hourly),
    h("h2", {}, t("per_connector")),
    board.connectors.length
      ? h("ul", { class: "connectors plain" }, board.connectors.map(connectorCard))
      : h("p", {}, t("no_connector")),
    h("h2", {}, t("top_groups")),
    board.top_error_groups.length
      ? h("ul", { class: "plain groups" }, board.top_error_groups.map(group))
      : h("p", {}, t("no_groups")),
  ];
}
