// Notifications: publish an announcement, in French and English, to every licence or to the
// licences chosen (found by name); the ones published, with who published them and to whom.

import { ApiError, get, post } from "../../api.js";
import { announce, h } from "../../dom.js";
import { dateTime, t } from "../../i18n.js";
import { cell, field, pageHead, problem, table } from "../../widgets.js";
import { licenceLink } from "../common.js";

const FOUND = 10;

// The licences chosen, by id, with their names: kept while the operator searches.
function audiencePicker() {
  const chosen = new Map();
  const results = h("ul", { class: "plain picked", id: "licence-results", "aria-live": "polite" });
  const picked = h("ul", { class: "plain chips", id: "licences-chosen" });
  const draw = () => {
    picked.replaceChildren(...[...chosen].map(([id, name]) => h("li", { class: "chip" }, name, " ",
      h("button", { type: "button", class: "link-button",
        "aria-label": t("console_unchoose", { name }),
        onclick: () => { chosen.delete(id); draw(); } }, "×"))));
  };
  const search = h("input", { id: "audience-q", type: "search", maxlength: 200,
    autocomplete: "off" });
  const find = async () => {
    const page = await get("/v1/admin/licences", { q: search.value.trim(), limit: FOUND });
    results.replaceChildren(...page.items.map((l) => h("li", {},
      h("button", { type: "button", class: "secondary choose",
        onclick: () => { chosen.set(l.licence_id, l.name); draw(); } },
      t("console_choose", { name: l.name })))));
    if (!page.items.length) results.replaceChildren(h("li", { class: "muted" }, t("console_no_licences")));
  };
  search.addEventListener("keydown", (event) => {
    if (event.key === "Enter") { event.preventDefault(); find(); }
  });
  const box = h("div", { class: "audience-picker", id: "audience-picker", hidden: true },
    h("div", { class: "row" },
      field("audience-q", t("console_find_licence"), search),
      h("div", { class: "field" }, h("button", { type: "button", class: "secondary",
        id: "audience-find", onclick: find }, t("console_search")))),
    results,
    h("p", { class: "muted" }, t("console_chosen")), picked);
  return { box, chosen };
}

function publishForm(rerender) {
  const outcome = h("div", { id: "publish-outcome", "aria-live": "polite" });
  const picker = audiencePicker();
  const audience = (value, label, checked) => h("label", { class: "inline" },
    h("input", { type: "radio", name: "audience", value, checked,
      onchange: () => { picker.box.hidden = value !== "some"; } }), " ", label);
  const submit = async (event) => {
    event.preventDefault();
    const data = new FormData(event.target);
    const some = data.get("audience") === "some";
    if (some && !picker.chosen.size) {
      outcome.replaceChildren(problem(t("console_choose_some")));
      return;
    }
    const text = (name) => String(data.get(name) || "").trim();
    const body = { title: text("title"), body: text("body") };
    if (text("title_en")) body.title_en = text("title_en");
    if (text("body_en")) body.body_en = text("body_en");
    if (some) body.licence_ids = [...picker.chosen.keys()];
    try {
      await post("/v1/admin/notifications", body);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      outcome.replaceChildren(problem(error.message));
      return;
    }
    await rerender();
    announce(t("console_published", { title: body.title }));
  };
  return h("form", { class: "card", id: "publish", onsubmit: submit },
    h("h2", {}, t("console_publish_title")),
    h("fieldset", { class: "checks" }, h("legend", {}, t("console_audience")),
      audience("all", t("console_every_licence"), true),
      audience("some", t("console_some_licences"), false)),
    picker.box,
    h("div", { class: "bilingual" },
      h("fieldset", { class: "language", lang: "fr" }, h("legend", {}, t("console_in_french")),
        field("title-fr", t("console_title_field"), h("input", { id: "title-fr", name: "title",
          required: true, maxlength: 200 }), true),
        field("body-fr", t("message"), h("textarea", { id: "body-fr", name: "body", rows: 4,
          required: true, maxlength: 20000 }), true)),
      h("fieldset", { class: "language", lang: "en" }, h("legend", {}, t("console_in_english")),
        field("title-en", t("console_title_field"), h("input", { id: "title-en", name: "title_en",
          maxlength: 200 }), true),
        field("body-en", t("message"), h("textarea", { id: "body-en", name: "body_en", rows: 4,
          maxlength: 20000 }), true))),
    h("p", { class: "muted" }, t("console_english_default")),
    h("button", { type: "submit", class: "primary" }, t("console_publish")),
    outcome);
}

function publishedRow(n) {
  return h("tr", { dataset: { notificationId: n.notification_id } },
    cell(t("date"), dateTime(n.published_at)),
    cell(t("console_title_field"), h("strong", {}, n.title), n.title_en ? h("span", { class: "muted", lang: "en" },
      ` / ${n.title_en}`) : null),
    cell(t("console_audience"), n.everyone ? t("console_every_licence")
      : n.licences.map((l, i) => [i ? ", " : "", licenceLink(l.licence_id, l.name)])),
    cell(t("console_who"), h("span", { class: "actor" }, n.published_by)));
}

export async function render({ rerender }) {
  const published = await get("/v1/admin/notifications", { limit: 50 });
  return [
    pageHead(t("console_nav_notifications")),
    publishForm(rerender),
    h("h2", {}, t("console_published_title")),
    published.length
      ? table(t("console_published_title"), [t("date"), t("console_title_field"), t("console_audience"),
        t("console_who")], published.map(publishedRow), { id: "published" })
      : h("p", { class: "muted" }, t("console_none_published")),
  ];
}
