// The knowledge base as readers judge it: per article, views, the helpful ratio, the reasons
// ticked, the latest comments and the error groups that link to it.

import { get } from "../../api.js";
import { h } from "../../dom.js";
import { dateTime, lang, number, t } from "../../i18n.js";
import { cell, pageHead, table } from "../../widgets.js";

const FLEET_DAYS = 7;

function title(article) {
  return lang() === "en" ? article.title_en : article.title_fr;
}

function helpful(article) {
  if (!article.votes) return h("span", { class: "muted" }, t("help_no_vote"));
  return t("help_ratio", {
    ratio: number(Math.round(article.helpful_ratio * 100)),
    yes: number(article.helpful),
    votes: number(article.votes),
  });
}

function reasons(article) {
  const ticked = article.reasons.filter((reason) => reason.count > 0);
  if (!ticked.length) return h("span", { class: "muted" }, t("help_no_reason"));
  return h("ul", { class: "plain" }, ticked.map((reason) =>
    h("li", { dataset: { reason: reason.code } },
      lang() === "en" ? `${reason.en}: ${number(reason.count)}`
        : `${reason.fr} : ${number(reason.count)}`)));
}

function link(article) {
  return h("a", { href: `${article.url}?lang=${lang()}` }, title(article));
}

// The least helpful first (unhelpful votes), then the most read.
function rank(a, b) {
  return (b.votes - b.helpful) - (a.votes - a.helpful) || b.views - a.views ||
    a.slug.localeCompare(b.slug);
}

function comments(article) {
  return h("section", { class: "card help-comments", dataset: { slug: article.slug } },
    h("h3", {}, t("help_comments_of", { title: title(article) })),
    h("ul", { class: "plain" }, article.comments.map((comment) =>
      h("li", {},
        h("p", { class: "muted" }, dateTime(comment.given_at), " · ",
          comment.reasons.map((code) => {
            const reason = article.reasons.find((r) => r.code === code);
            return lang() === "en" ? reason.en : reason.fr;
          }).join(", ")),
        h("p", { class: "message" }, comment.comment)))));
}

export async function render() {
  const { articles } = await get("/v1/admin/help/feedback");
  const ranked = [...articles].sort(rank);
  const commented = ranked.filter((article) => article.comments.length);
  const rows = ranked.map((article) =>
    h("tr", { dataset: { slug: article.slug } },
      cell(t("help_article"), link(article)),
      cell(t("help_views"), number(article.views)),
      cell(t("help_votes"), number(article.votes)),
      cell(t("help_helpful"), helpful(article)),
      cell(t("help_reasons"), reasons(article)),
      cell(t("help_groups"), t("help_groups_value", {
        rules: number(article.rules.length),
        groups: number(article.fleet_groups),
        licences: number(article.fleet_licences),
        days: FLEET_DAYS,
      }))));
  return [
    pageHead(t("console_nav_help")),
    h("p", { class: "muted" }, t("help_intro")),
    table(t("console_nav_help"), [t("help_article"), t("help_views"), t("help_votes"),
      t("help_helpful"), t("help_reasons"), t("help_groups")], rows, { id: "help-articles" }),
    h("h2", {}, t("help_comments")),
    commented.length ? commented.map(comments) : h("p", { class: "muted" }, t("help_no_comment")),
  ];
}
