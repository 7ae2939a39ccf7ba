// Suivi d'une référence: one order's or product's story across syncs, oldest first, each event
// as the step it stands for, the errors between the steps with their hint, the remote actions
// queued for it, and at the top how long it took from first sight to first success.

import { ApiError, get } from "../api.js";
import { h } from "../dom.js";
import { colon, dateTime, duration, hintOf, labelOf, lang, number, t } from "../i18n.js";
import { field, kbLink, levelBadge, originLabel, pageHead, problem } from "../widgets.js";

// The API's step labels (step_label_fr / _en, state_label_fr / _en) in the page's language.
const stepOf = (fr, en) => (lang() === "en" ? en : fr);

function search(reference) {
  const go = (event) => {
    event.preventDefault();
    const value = String(new FormData(event.target).get("ref") || "").trim();
    if (value) location.hash = `#/reference?${new URLSearchParams({ ref: value })}`;
  };
  return h("form", { class: "filters row timeline-search", role: "search", onsubmit: go },
    field("tl-ref", t("timeline_reference"),
      h("input", { id: "tl-ref", name: "ref", value: reference, required: true,
        maxlength: 256, autocomplete: "off" })),
    h("button", { type: "submit", class: "primary" }, t("timeline_show")));
}

function figure(name, label, value) {
  return h("div", { class: "timeline-figure", dataset: { figure: name } },
    h("dt", {}, label), h("dd", {}, value));
}

function summary(body) {
  const s = body.summary;
  const time = (iso) => h("time", { datetime: iso }, dateTime(iso));
  return h("dl", { class: "timeline-summary", id: "timeline-summary" },
    figure("first-seen", t("timeline_first_seen"), time(s.first_seen)),
    figure("first-success", t("timeline_first_success"),
      s.first_success ? time(s.first_success) : t("timeline_never")),
    figure("to-success", t("timeline_to_success"),
      s.seconds_to_success === null ? "—" : duration(s.seconds_to_success * 1000)),
    figure("state", t("timeline_state"),
      [levelBadge(s.state), " ", stepOf(s.state_label_fr, s.state_label_en)]),
    figure("events", t("timeline_events"), number(s.events)));
}

function eventItem(item) {
  const hint = item.level === "success" ? null : hintOf(item.remediation);
  return h("li", { class: `timeline-item level-${item.level}`,
    dataset: { kind: "event", level: item.level, step: item.step } },
  h("div", { class: "timeline-when" },
    h("time", { datetime: item.occurred_at }, dateTime(item.occurred_at))),
  h("div", { class: "timeline-body" },
    h("p", { class: "timeline-step" },
      h("strong", {}, stepOf(item.step_label_fr, item.step_label_en)), " ",
      levelBadge(item.level)),
    h("p", { class: "message" }, item.message),
    h("p", { class: "muted" }, colon(t("connector")), item.connector_id, " · ",
      colon(t("origin")), originLabel(item.origin)),
    hint ? h("p", { class: "hint" }, hint) : null,
    item.level === "success" ? null : kbLink(item.remediation)));
}

function actionItem(action) {
  return h("li", { class: "timeline-item timeline-action",
    dataset: { kind: "action", status: action.status } },
  h("div", { class: "timeline-when" },
    h("time", { datetime: action.created_at }, dateTime(action.created_at))),
  h("div", { class: "timeline-body" },
    h("p", { class: "timeline-step" }, h("strong", {}, labelOf(action)), " ",
      h("span", { class: `status status-${action.status}` }, t(`status_${action.status}`))),
    h("p", { class: "muted" }, t("timeline_action_queued"))));
}

// Events and actions on one line of time, oldest first.
function story(body) {
  const dated = [
    ...body.events.map((e) => [e.occurred_at, eventItem(e)]),
    ...body.actions.map((a) => [a.created_at, actionItem(a)]),
  ].sort((a, b) => new Date(a[0]) - new Date(b[0]));
  return h("ol", { class: "timeline", id: "timeline" }, dated.map(([, item]) => item));
}

export async function render({ params }) {
  const reference = (params.get("ref") || "").trim();
  const head = [pageHead(t("timeline_title")), h("p", { class: "muted" }, t("timeline_intro")),
    search(reference)];
  if (!reference) return head;
  let body;
  try {
    body = await get(`/v1/references/${encodeURIComponent(reference)}/timeline`);
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 404) throw error;
    return [...head, problem(error.message)];
  }
  return [
    ...head,
    h("h2", { class: "reference" }, body.reference),
    summary(body),
    body.truncated
      ? h("p", { class: "muted", id: "timeline-truncated" },
        t("timeline_truncated", { shown: number(body.events.length) }))
      : null,
    story(body),
  ];
}
