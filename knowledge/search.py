"""Searching the articles of one language: every word of the query must appear in the title or
the text, case and accents ignored; title matches first."""

from __future__ import annotations

import re
from collections.abc import Iterable

from knowledge.articles import Article, Lang
from schemas.text import fold

MAX_QUERY = 200
MAX_WORDS = 12


def words(query: str) -> list[str]:
    """The query's words (at most MAX_WORDS, from its first MAX_QUERY characters), folded."""
    return re.findall(r"\w+", fold(query[:MAX_QUERY]))[:MAX_WORDS]


def search(articles: Iterable[Article], query: str, lang: Lang) -> list[Article]:
    wanted = words(query)
    found: list[tuple[int, str, Article]] = []
    for article in articles:
        title, text = article.searchable(lang)
        if wanted and all(word in text for word in wanted):
            in_title = sum(word in title for word in wanted)
            found.append((-in_title, title, article))
    return [article for _, _, article in sorted(found, key=lambda item: item[:2])]
