"""The knowledge base's pages, readable without signing in: `/aide` lists and searches the
articles, `/aide/<slug>` shows one and ends with « Cet article a-t-il été utile ? ».

Rendered here, not by the merchant's single-page app: a link from a report line, an e-mail or a
search engine opens a readable page at once. Same headers and stylesheet as the app; the only
script is the feedback form's module (the CSP forbids inline scripts). Each article shown is
counted through `ArticleViews`, which the composition root provides.
"""

from __future__ import annotations

from html import escape
from typing import Protocol
from urllib.parse import quote

from fastapi import FastAPI, Request, Response, status

from knowledge.articles import LANGS, MAX_SLUG, Article, Lang, load_articles
from knowledge.render import summary, to_html
from knowledge.search import MAX_QUERY, search
from schemas.help import MAX_COMMENT, REASON_LABELS
from schemas.text import fold
from web.serve import PAGE_HEADERS, asset_version

HELP = "/aide"


class ArticleViews(Protocol):
    def viewed(self, slug: str) -> None:
        """Count one view; never blocks, never raises."""


WORDS: dict[Lang, dict[str, str]] = {
    "fr": {
        "name": "Base de connaissances ERO",
        "skip": "Aller au contenu",
        "switch": "English",
        "to_app": "Mon espace ERO",
        "search_label": "Rechercher dans la base de connaissances",
        "search": "Rechercher",
        "all": "Tous les articles",
        "count": "{n} articles",
        "found": "{n} article(s) pour « {q} »",
        "none": "Aucun article ne correspond à « {q} ». Essayez d'autres mots.",
        "helpful": "Cet article a-t-il été utile ?",
        "yes": "Oui",
        "no": "Non",
        "thanks": "C'est super ! Merci pour votre commentaire.",
        "sorry": "Désolé ! Nous n'avons pas pu vous être utile.",
        "improve": "Dites-nous comment nous pouvons améliorer cet article !",
        "pick": "Sélectionner au moins l'une des raisons",
        "comment": "Commentaire (facultatif)",
        "send": "Envoyer",
        "sent": "Commentaires envoyés. Nous apprécions vos efforts et nous allons corriger "
        "l'article.",
        "failed": "L'envoi a échoué : réessayez dans quelques instants.",
        "throttled": "Trop d'envois depuis votre connexion : réessayez plus tard.",
    },
    "en": {
        "name": "ERO knowledge base",
        "skip": "Skip to content",
        "switch": "Français",
        "to_app": "My ERO pages",
        "search_label": "Search the knowledge base",
        "search": "Search",
        "all": "All articles",
        "count": "{n} articles",
        "found": "{n} article(s) for “{q}”",
        "none": "No article matches “{q}”. Try other words.",
        "helpful": "Was this article helpful?",
        "yes": "Yes",
        "no": "No",
        "thanks": "Great! Thank you for your feedback.",
        "sorry": "Sorry! We could not help you.",
        "improve": "Tell us how we can improve this article!",
        "pick": "Select at least one of the reasons",
        "comment": "Comment (optional)",
        "send": "Send",
        "sent": "Feedback sent. We appreciate it and will fix the article.",
        "failed": "Sending failed: try again in a moment.",
        "throttled": "Too many sends from your connection: try again later.",
    },
}


def page_language(asked: str | None, accept_language: str) -> Lang:
    """`?lang=` when it names one, else the first of French or English the browser prefers
    (by q-value, then order), else French."""
    if asked in LANGS:
        return asked
    best: tuple[float, Lang] | None = None
    for part in accept_language[:1000].split(",")[:20]:
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in LANGS:
            continue
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                continue
        if weight > 0 and (best is None or weight > best[0]):  # the earlier wins a tie
            best = (weight, primary)
    return best[1] if best else "fr"


def _href(path: str, lang: Lang, q: str = "") -> str:
    return escape(f"{path}?lang={lang}" + (f"&q={quote(q, safe='')}" if q else ""))


def _search_form(lang: Lang, q: str) -> str:
    w = WORDS[lang]
    return (
        f'<form class="help-search" role="search" action="{HELP}" method="get">'
        f'<input type="hidden" name="lang" value="{lang}">'
        f'<label for="help-q">{escape(w["search_label"])}</label>'
        f'<div class="help-search-row"><input id="help-q" name="q" type="search" '
        f'maxlength="{MAX_QUERY}" value="{escape(q)}">'
        f'<button type="submit" class="primary">{escape(w["search"])}</button></div></form>'
    )


def _document(
    lang: Lang, title: str, content: str, switch_href: str, *, script: bool = False
) -> str:
    w = WORDS[lang]
    other: Lang = "en" if lang == "fr" else "fr"
    root = f"/assets/{asset_version()}"
    module = f'<script type="module" src="{root}/js/help-feedback.js"></script>' if script else ""
    return (
        f'<!doctype html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)} — ERO</title>\n"
        '<link rel="icon" href="data:,">\n'
        f'<link rel="stylesheet" href="{root}/app.css">\n{module}\n</head>\n<body class="help">\n'
        f'<a class="skip" href="#page">{escape(w["skip"])}</a>\n'
        '<header class="top"><div class="top-row">'
        f'<div class="brand"><a href="{_href(HELP, lang)}">{escape(w["name"])}</a></div>'
        f'<div class="tools"><a id="help-lang" href="{switch_href}" lang="{other}" '
        f'hreflang="{other}">{escape(w["switch"])}</a>'
        f'<a href="/">{escape(w["to_app"])}</a></div></div></header>\n'
        f'<main id="page" tabindex="-1">\n{content}\n</main>\n</body>\n</html>\n'
    )


def _html(document: str, status_code: int = status.HTTP_200_OK) -> Response:
    return Response(
        document.encode(),
        status_code=status_code,
        media_type="text/html; charset=utf-8",
        headers=PAGE_HEADERS,
    )


def _listing(articles: list[Article], lang: Lang) -> str:
    items = "".join(
        f'<li><a href="{_href(f"{HELP}/{a.slug}", lang)}">{escape(a.title(lang))}</a>'
        f'<p class="muted">{escape(summary(a.bodies[lang]))}</p></li>'
        for a in articles
    )
    return f'<ul class="plain help-list" id="help-results">{items}</ul>'


def index_page(lang: Lang, q: str) -> str:
    w = WORDS[lang]
    articles = load_articles().values()
    if q.strip():
        found = search(articles, q, lang)
        said = (w["found"] if found else w["none"]).format(n=len(found), q=q)
        listed = found
    else:
        listed = sorted(articles, key=lambda a: fold(a.title(lang)))
        said = w["count"].format(n=len(listed))
    content = (
        f'<div class="page-head"><h1>{escape(w["name"])}</h1></div>{_search_form(lang, q)}'
        f'<p class="help-said" role="status">{escape(said)}</p>{_listing(listed, lang)}'
    )
    other: Lang = "en" if lang == "fr" else "fr"
    return _document(lang, w["name"], content, _href(HELP, other, q))


def _feedback(article: Article, lang: Lang) -> str:
    w = WORDS[lang]
    reasons = "".join(
        f'<label class="inline"><input type="checkbox" name="reason" value="{reason.value}"> '
        f"{escape(labels[0] if lang == 'fr' else labels[1])}</label>"
        for reason, labels in REASON_LABELS.items()
    )
    messages = " ".join(
        f'data-{key}="{escape(w[key])}"'
        for key in ("thanks", "sorry", "pick", "sent", "failed", "throttled")
    )
    return (
        '<section class="card help-feedback" aria-labelledby="feedback-title">'
        f'<form id="feedback" action="/v1/help/{article.slug}/feedback" method="post" {messages}>'
        f'<h2 id="feedback-title">{escape(w["helpful"])}</h2>'
        '<div class="help-vote">'
        f'<button type="button" class="secondary" name="helpful" value="yes">{w["yes"]}</button>'
        f'<button type="button" class="secondary" name="helpful" value="no">{w["no"]}</button>'
        "</div>"
        '<div id="feedback-more" hidden>'
        f'<p id="feedback-sorry">{escape(w["sorry"])}</p>'
        f'<fieldset class="checks"><legend>{escape(w["improve"])}</legend>{reasons}</fieldset>'
        f'<div class="field wide"><label for="feedback-comment">{escape(w["comment"])}</label>'
        f'<textarea id="feedback-comment" name="comment" rows="4" maxlength="{MAX_COMMENT}">'
        "</textarea></div>"
        f'<button type="submit" class="primary">{escape(w["send"])}</button></div>'
        '<p id="feedback-outcome" role="status" aria-live="polite"></p>'
        "</form></section>"
    )


def article_page(article: Article, lang: Lang) -> str:
    w = WORDS[lang]
    other: Lang = "en" if lang == "fr" else "fr"
    content = (
        f'<nav class="help-crumbs" aria-label="{escape(w["name"])}">'
        f'<a href="{_href(HELP, lang)}">{escape(w["all"])}</a></nav>'
        f'<article class="card help-article" id="article" lang="{lang}">'
        f"<h1>{escape(article.title(lang))}</h1>{to_html(article.bodies[lang])}</article>"
        f"{_feedback(article, lang)}{_search_form(lang, '')}"
    )
    switch = _href(f"{HELP}/{article.slug}", other)
    return _document(lang, article.title(lang), content, switch, script=True)


def not_found_page() -> str:
    """Both languages: the reader's language is not worth guessing on a wrong address."""
    content = (
        '<div class="page-head"><h1>Article introuvable '
        '<span lang="en">/ Article not found</span></h1></div>'
        "<p>Cet article n'existe pas ou plus : cherchez dans la base de connaissances.</p>"
        '<p lang="en">This article does not exist (any more): search the knowledge base.</p>'
        f'{_search_form("fr", "")}<p><a href="{_href(HELP, "fr")}">Tous les articles</a> · '
        f'<a href="{_href(HELP, "en")}" lang="en">All articles</a></p>'
    )
    return _document("fr", "Article introuvable / Article not found", content, _href(HELP, "en"))


def mount_help(app: FastAPI) -> None:
    @app.get(HELP, include_in_schema=False)
    async def index(request: Request, q: str = "", lang: str | None = None) -> Response:
        language = page_language(lang, request.headers.get("accept-language", ""))
        return _html(index_page(language, q[:MAX_QUERY]))

    @app.get(HELP + "/{slug}", include_in_schema=False)
    async def article(request: Request, slug: str, lang: str | None = None) -> Response:
        found = load_articles().get(slug) if len(slug) <= MAX_SLUG else None
        if found is None:
            return _html(not_found_page(), status.HTTP_404_NOT_FOUND)
        views: ArticleViews = request.app.state.help_views
        views.viewed(found.slug)
        language = page_language(lang, request.headers.get("accept-language", ""))
        return _html(article_page(found, language))
