// Tableau de bord: a period (the last 48 hours unless asked) in three tiles, overall and per
// connector, the hourly chart and the most frequent problems, errors first, each with its
// suggested action. Every figure links to the reports listing its events. The gear holds the
// full reports and the PC-key reset, as the product has it.

import { get } from "../api.js";
import { levelChart } from "../chart.js";
import { h } from "../dom.js";
import { colon, dateTime, duration, hintOf, number, t } from "../i18n.js";
import { actionCatalog, actionControl } from "../remote-action.js";
import { disclosure, kbLink, LEVELS, levelBadge, pageHead, reportsHref } from "../widgets.js";
import { stateBadge } from "./groups.js";

export const WINDOWS = ["1h", "24h", "48h", "7d", "30d"]; // query_api/windows.py's presets
const DEFAULT_WINDOW = "48h";

function windowOf(params) {
  return WINDOWS.includes(params.get("window")) ? params.get("window") : DEFAULT_WINDOW;
}

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

// The connector's health (query_api/connector_health.py): a badge whose title states the rule,
// and what it means for this connector.
function healthOf(health) {
  const every = duration(health.expected_every_seconds * 1000);
  return h("p", { class: "health" },
    h("span", { class: `badge health-${health.state}`, dataset: { health: health.state },
      title: t("health_rule") },
    t(`health_${health.state}`)),
    " ",
    h("span", { class: "muted health-note" }, t(`health_${health.state}_note`, { every })));
}

function connectorCard(c) {
  return h(
    "li",
    { class: "connector card", dataset: { connector: c.connector_id } },
    h("h3", {}, c.connector_id),
    healthOf(c.health),
    tiles(c.levels, c.connector_id, true),
    h(
      "p",
      { class: "muted" },
      `${colon(t("last_event"))}${dateTime(c.last_event_at)}`,
      c.last_sync
        ? [h("br"), colon(t("last_sync")),
          h("a", { href: reportsHref(c.last_sync.report_url) }, dateTime(c.last_sync.at))]
        : null,
    ),
  );
}

function group(g, actions, role) {
  const hint = hintOf(g.remediation);
  return h(
    "li",
    { class: "card group", dataset: { fingerprint: g.fingerprint, level: g.level } },
    h("p", {}, levelBadge(g.level), " ",
      g.state === "regressed" ? [stateBadge(g.state), " "] : null,
      h("a", { href: reportsHref(g.events.report_url) }, `${number(g.events.count)} ${t(g.events.count === 1 ? "event_one" : "events")}`),
      h("span", { class: "muted" }, ` — ${colon(t("last_seen"))}${dateTime(g.last_event_at)}`)),
    h("p", { class: "message" }, g.message),
    hint ? h("p", { class: "hint" }, hint) : null,
    kbLink(g.remediation) && h("p", {}, kbLink(g.remediation)),
    actionControl(g.remediation.action, { key: `group-${g.fingerprint}` }, actions, role),
  );
}

function periodPicker(chosen) {
  return h("div", { class: "field period" },
    h("label", { for: "d-window" }, t("period")),
    h("select", { id: "d-window", name: "window",
      onchange: (event) => {
        const value = event.target.value;
        location.hash = value === DEFAULT_WINDOW ? "#/tableau-de-bord"
          : `#/tableau-de-bord?window=${value}`;
      } },
    WINDOWS.map((w) => h("option", { value: w, selected: w === chosen }, t(`preset_${w}`)))));
}

function gear() {
  const links = h("ul", { class: "plain gear-menu", id: "gear-menu" },
    h("li", {}, h("a", { href: "#/rapports" }, t("full_reports"))),
    h("li", {}, h("a", { href: "#/cle-pc" }, t("reset_pc_key_link"))));
  const button = h("button", { type: "button", class: "gear", id: "gear",
    "aria-label": t("dashboard_tools"), title: t("dashboard_tools") }, "⚙");
  return h("div", { class: "gear-wrap" }, disclosure(button, links), links);
}

export async function render({ params, role }) {
  const chosen = windowOf(params);
  const [board, actions] = await Promise.all([
    get("/v1/dashboard", { window: chosen }),
    actionCatalog(),
  ]);
  return [
    pageHead(t("nav_dashboard"),
      h("div", { class: "head-tools" },
        h("a", { class: "button", href: "#/assistance?nouveau" }, t("open_ticket")),
        gear())),
    h("div", { class: "row period-row" },
      periodPicker(chosen),
      h("p", { class: "muted", id: "period-bounds" },
        `${dateTime(board.since)} → ${dateTime(board.until)}`),
      h("a", { href: "#/tendances", id: "trends-link" }, t("see_trends"))),
    tiles(board.levels, "all"),
    h("h2", {}, t("hourly")),
    levelChart(board.hourly),
    h("h2", {}, t("per_connector")),
    board.connectors.length
      ? h("ul", { class: "connectors plain" }, board.connectors.map(connectorCard))
      : h("p", {}, t("no_connector")),
    h("h2", {}, t("top_groups")),
    board.top_error_groups.length
      ? h("ul", { class: "plain groups", id: "top-groups" },
        board.top_error_groups.map((g) => group(g, actions, role)))
      : h("p", {}, t("no_groups")),
  ];
}
