// Dead letters: the lines the gateway refused, newest first, with why and the licence they
// came from; one letter's text, and its replay once the cause is fixed (re-checked with the
// current schema; the licence's audit names who replayed it).

import { ApiError, get, post } from "../../api.js";
import { announce, h } from "../../dom.js";
import { dateTime, number, t } from "../../i18n.js";
import { cell, pageHead, problem, table } from "../../widgets.js";
import { licenceLink } from "../common.js";

const SHOWN = 100;
const LETTER_STATUSES = ["pending", "replayed"];

function letterHref(letterId) {
  return `#/lettres-mortes?lettre=${encodeURIComponent(letterId)}`;
}

function letterStatus(status) {
  return h("span", { class: `letter-status letter-${status}` }, t(`console_letter_${status}`));
}

async function replay(letterId, outcome, rerender) {
  let report;
  try {
    report = await post("/v1/admin/dead-letters/replay", { letter_ids: [letterId] });
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    outcome.replaceChildren(problem(error.message));
    return;
  }
  const done = report.outcomes[0];
  if (done?.replayed) {
    await rerender();
    announce(t("console_replayed", { n: done.event_ids.length }));
    return;
  }
  outcome.replaceChildren(h("div", { class: "problem", role: "alert" },
    h("p", {}, t("console_still_refused")),
    h("ul", {}, (done?.reasons || []).map((r) => h("li", {},
      t("console_labelled", { label: r.field }), r.reason)))));
}

function listRow(letter) {
  return h("tr", { dataset: { letterId: letter.letter_id, status: letter.status } },
    cell(t("console_received"), h("a", { href: letterHref(letter.letter_id) },
      dateTime(letter.received_at))),
    cell(t("console_licence"), letter.licence_id
      ? licenceLink(letter.licence_id, letter.licence_name) : "—"),
    cell(t("connector"), letter.connector_id || "—"),
    cell(t("console_reason"), h("span", { class: "message" }, letter.reason)),
    cell(t("status"), letterStatus(letter.status)));
}

async function list(params) {
  const status = LETTER_STATUSES.includes(params.get("statut")) ? params.get("statut") : "pending";
  const [counts, letters] = await Promise.all([
    get("/v1/admin/dead-letters/counts"),
    get("/v1/admin/dead-letters", { status, limit: SHOWN }),
  ]);
  return [
    pageHead(t("console_nav_dead_letters")),
    h("p", { class: "muted" }, t("console_dead_letters_intro")),
    h("nav", { class: "period-picker", "aria-label": t("status") },
      LETTER_STATUSES.map((s) => h("a", {
        class: s === status ? "button primary" : "button secondary",
        href: `#/lettres-mortes?statut=${s}`, "aria-current": s === status ? "true" : null,
      }, `${t(`console_letters_${s}`)} (${number(counts[s] ?? 0)})`))),
    letters.length
      ? table(t("console_nav_dead_letters"), [t("console_received"), t("console_licence"),
        t("connector"), t("console_reason"), t("status")], letters.map(listRow),
      { id: "dead-letters" })
      : h("p", { class: "empty" }, t("console_no_letters")),
    letters.length === SHOWN ? h("p", { class: "muted" }, t("console_newest_letters", { n: SHOWN }))
      : null,
  ];
}

async function one(letterId, rerender) {
  let letter;
  try {
    letter = await get(`/v1/admin/dead-letters/${encodeURIComponent(letterId)}`);
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 404) throw error;
    return [pageHead(t("console_letter_title")), problem(t("console_letter_gone"))];
  }
  const outcome = h("div", { id: "replay-outcome", "aria-live": "polite" });
  return [
    pageHead(t("console_letter_title")),
    h("p", {}, h("a", { href: "#/lettres-mortes" }, t("console_back_to_letters"))),
    h("section", { class: "card", id: "letter" },
      h("dl", { class: "facts console-facts" },
        h("dt", {}, t("console_licence")),
        h("dd", {}, letter.licence_id ? licenceLink(letter.licence_id, letter.licence_name) : "—"),
        h("dt", {}, t("connector")), h("dd", {}, letter.connector_id || "—"),
        h("dt", {}, t("console_received")), h("dd", {}, dateTime(letter.received_at)),
        h("dt", {}, t("console_line")), h("dd", { id: "letter-line" }, number(letter.line)),
        h("dt", {}, t("status")), h("dd", { id: "letter-status" }, letterStatus(letter.status),
          letter.replayed_at ? ` — ${dateTime(letter.replayed_at)}` : ""),
        h("dt", {}, t("console_reasons")),
        h("dd", {}, h("ul", { class: "plain", id: "letter-reasons" },
          letter.reasons.map((r) => h("li", {}, h("code", {}, r.field),
            t("console_labelled", { label: "" }), r.reason))))),
      h("h2", {}, t("console_letter_text")),
      h("pre", { class: "raw", id: "letter-raw", tabindex: "0" }, letter.raw),
      letter.status === "pending"
        ? h("div", { class: "row buttons" },
          h("button", { type: "button", class: "primary", id: "replay",
            onclick: () => replay(letter.letter_id, outcome, rerender) }, t("console_replay")))
        : null,
      outcome),
  ];
}

export function render({ params, rerender }) {
  const letterId = params.get("lettre");
  return letterId ? one(letterId, rerender) : list(params);
}
