// Groupes d'erreurs: identical problems counted together over 48 hours, each with its
// suggested action, and its follow-up: members resolve, ignore (for a while, or until more
// events come), reopen and comment a group; everyone reads its history. By default the open
// groups (a resolved group with a later event is back, marked "regressed").

import { ApiError, get, post } from "../api.js";
import { announce, h } from "../dom.js";
import { colon, dateTime, hintOf, number, t } from "../i18n.js";
import { actionCatalog, actionControl } from "../remote-action.js";
import { allows } from "../session.js";
import {
  cell, disclosure, kbLink, levelBadge, originLabel, pageHead, problem, reportsHref, roleNote,
  table,
} from "../widgets.js";

const FILTERS = ["open", "resolved", "ignored", "all"];
const DURATIONS = [["wf_for_1h", 3600], ["wf_for_24h", 86400], ["wf_for_7d", 604800]];
const path = (g, rest) => `/v1/groups/${encodeURIComponent(g.fingerprint)}/${rest}`;

export function stateBadge(state) {
  return h("span", { class: `badge group-state state-${state}`, dataset: { state } },
    t(`wf_state_${state}`));
}

// What an entry of the history says happened.
function changeText(entry) {
  if (entry.change !== "ignored") return t(`wf_change_${entry.change}`);
  const parts = [];
  if (entry.ignore_until) parts.push(t("wf_ignored_until", { at: dateTime(entry.ignore_until) }));
  if (entry.ignore_events) parts.push(t("wf_ignored_events", { n: number(entry.ignore_events) }));
  return [t("wf_change_ignored"), ...parts].join(" — ");
}

function historyList(entries) {
  if (!entries.length) return h("p", { class: "muted" }, t("wf_no_history"));
  return h("ol", { class: "plain group-history" }, entries.map((e) =>
    h("li", { dataset: { change: e.change } },
      h("span", { class: "muted" }, `${dateTime(e.at)} — ${colon(e.by)}`),
      h("strong", {}, changeText(e)),
      e.comment ? h("p", { class: "comment" }, e.comment) : null)));
}

// One write of the workflow, then the page again (the group may leave the filter shown).
async function act(g, rest, body, note, rerender, done) {
  try {
    await post(path(g, rest), body);
    announce(t(done));
    await rerender();
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    note.textContent = error.message;
  }
}

function ignoreMenu(g, note, rerender) {
  const id = `ignore-${g.fingerprint}`;
  const count = h("input", { type: "number", id: `${id}-n`, min: 1, max: 1000000, value: 10,
    required: true, class: "ignore-count" });
  const menu = h("div", { class: "ignore-menu", id: `${id}-menu` },
    h("ul", { class: "plain" }, DURATIONS.map(([key, seconds]) =>
      h("li", {}, h("button", { type: "button", class: "secondary", dataset: { seconds },
        onclick: () => act(g, "ignore", { for_seconds: seconds }, note, rerender, "wf_done_ignored") },
      t(key))))),
    h("form", { class: "row ignore-events", onsubmit: (event) => {
      event.preventDefault();
      act(g, "ignore", { until_events: Number(count.value) }, note, rerender, "wf_done_ignored");
    } },
    h("label", { for: count.id }, t("wf_until_events")), count,
    h("button", { type: "submit", class: "secondary" }, t("wf_ignore_ok"))));
  const button = h("button", { type: "button", class: "secondary ignore" }, t("wf_ignore"));
  return h("div", { class: "ignore-wrap" }, disclosure(button, menu), menu);
}

function commentForm(g, note, rerender) {
  const id = `comment-${g.fingerprint}`;
  const text = h("textarea", { id, name: "text", maxlength: 2000, required: true, rows: 2 });
  return h("form", { class: "comment-form", onsubmit: (event) => {
    event.preventDefault();
    act(g, "comments", { text: text.value }, note, rerender, "wf_done_commented");
  } },
  h("label", { for: id }, t("wf_comment_label")), text,
  h("button", { type: "submit" }, t("wf_comment")));
}

// The group's history and comments, read when opened.
function details(g, member, note, rerender) {
  const body = h("div", { class: "group-details-body" }, h("p", { class: "muted" }, t("loading")));
  const panel = h("details", { class: "group-details", ontoggle: async (event) => {
    if (!event.target.open || body.dataset.loaded) return;
    body.dataset.loaded = "1";
    try {
      const history = await get(path(g, "history"));
      body.replaceChildren(historyList(history.entries),
        ...(member ? [commentForm(g, note, rerender)] : []));
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      body.replaceChildren(problem(error.message));
    }
  } }, h("summary", {}, t("wf_details")), body);
  return panel;
}

function followUp(g, role, rerender) {
  const member = allows(role, "member");
  const note = h("span", { class: "note", role: "status" });
  const hidden = g.state === "resolved" || g.state === "ignored";
  const buttons = !member ? null : h("div", { class: "row workflow-buttons" },
    hidden ? null : h("button", { type: "button", class: "resolve",
      onclick: () => act(g, "resolve", {}, note, rerender, "wf_done_resolved") }, t("wf_resolve")),
    hidden ? null : ignoreMenu(g, note, rerender),
    g.state === "open" ? null : h("button", { type: "button", class: "secondary reopen",
      onclick: () => act(g, "reopen", {}, note, rerender, "wf_done_reopened") }, t("wf_reopen")));
  return [buttons, note, details(g, member, note, rerender)];
}

function row(g, actions, role, rerender) {
  const hint = hintOf(g.remediation);
  return h(
    "tr",
    { class: `level-${g.level}`, dataset: { fingerprint: g.fingerprint, state: g.state } },
    cell(t("level"), levelBadge(g.level)),
    cell(t("wf_state"), stateBadge(g.state)),
    cell(t("count"), h("a", { href: reportsHref(g.report_url) }, number(g.count))),
    cell(t("message"), h("span", { class: "message" }, g.sample_message),
      hint ? h("p", { class: "hint" }, hint) : null,
      kbLink(g.remediation),
      actionControl(g.remediation.action, { key: `group-${g.fingerprint}` }, actions, role),
      followUp(g, role, rerender)),
    cell(t("origin"), originLabel(g.origin)),
    cell(t("operation"), g.operation),
    cell(t("connectors"), g.connectors.join(", ")),
    cell(t("last_seen"), dateTime(g.last_seen)),
  );
}

function stateFilter(chosen) {
  return h("nav", { class: "state-filter", "aria-label": t("wf_filter") },
    h("ul", { class: "plain row" }, FILTERS.map((state) =>
      h("li", {}, h("a", {
        href: state === "open" ? "#/groupes" : `#/groupes?etat=${state}`,
        class: state === chosen ? "button" : "button secondary",
        "aria-current": state === chosen ? "page" : null,
        dataset: { state },
      }, t(`wf_filter_${state}`))))));
}

export async function render({ params, role, rerender }) {
  const chosen = FILTERS.includes(params.get("etat")) ? params.get("etat") : "open";
  const [page, actions] = await Promise.all([
    get("/v1/groups", { state: chosen }), actionCatalog(),
  ]);
  return [
    pageHead(t("groups_title")),
    h("p", { class: "muted" }, t("groups_intro")),
    allows(role, "member") ? null : roleNote(role, "member", "wf_readonly"),
    stateFilter(chosen),
    page.groups.length
      ? table(t("groups_title"), [t("level"), t("wf_state"), t("count"), t("message"),
        t("origin"), t("operation"), t("connectors"), t("last_seen")],
      page.groups.map((g) => row(g, actions, role, rerender)), { id: "groups" })
      : h("p", { id: "no-groups" }, t(chosen === "open" ? "no_groups" : "wf_none_in_filter")),
  ];
}
