"""The knowledge base's pages: the reader's language, nothing inline the CSP would refuse,
whatever is typed shown as text."""

from __future__ import annotations

import re

import pytest

from knowledge.articles import load_articles
from web.help import article_page, index_page, not_found_page, page_language


@pytest.mark.parametrize(
    ("asked", "accept", "expected"),
    [
        ("en", "fr-FR", "en"),
        (None, "en-GB,en;q=0.9,fr;q=0.8", "en"),
        (None, "de-DE,fr;q=0.4,en;q=0.7", "en"),
        (None, "fr-CA,en;q=0.9", "fr"),
        (None, "de-DE", "fr"),
        ("es", "en;q=0", "fr"),
        (None, "en;q=nope,fr", "fr"),
    ],
)
def test_the_language_is_asked_else_the_browsers_else_french(
    asked: str | None, accept: str, expected: str
) -> None:
    assert page_language(asked, accept) == expected


def test_no_page_holds_an_inline_script_or_style() -> None:
    pages = [
        article_page(load_articles()["tva"], "fr"),
        index_page("en", ""),
        index_page("fr", "tva"),
        not_found_page(),
    ]
    for html in pages:
        assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []
        assert "<style" not in html
        assert " style=" not in html
        assert re.search(r"<[^>]*\son\w+=", html) is None  # no event-handler attribute


def test_a_query_is_shown_as_text() -> None:
    html = index_page("fr", '"><img src=x onerror=alert(1)>')
    assert "<img" not in html
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in html
