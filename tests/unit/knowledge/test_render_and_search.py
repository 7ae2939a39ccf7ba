"""Articles are rendered without raw HTML, and searched accent- and case-insensitively."""

from __future__ import annotations

from knowledge.articles import load_articles
from knowledge.links import KnowledgeLinks
from knowledge.render import summary, to_html
from knowledge.search import search

ARTICLES = load_articles().values()


def test_raw_html_and_script_links_are_shown_as_text() -> None:
    html = to_html(
        '<script>alert(1)</script>\n\n<img src=x onerror="alert(1)">\n\n'
        "[clic](javascript:alert(1)) ![i](https://x.example/i.png) **gras**"
    )
    assert "<script" not in html
    assert "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'href="javascript:' not in html
    assert "<strong>gras</strong>" in html


def test_a_summary_is_the_first_paragraph_as_plain_text() -> None:
    assert summary("## Cause\n\nLe **site** a [répondu](/aide/x) (500).\n\nSuite") == (
        "Le site a répondu (500)."
    )


def test_search_ignores_accents_and_case_and_ranks_titles_first() -> None:
    found = [a.slug for a in search(ARTICLES, "TVA", "fr")]
    assert found[0] == "tva"
    assert next(a.slug for a in search(ARTICLES, "securite", "fr")) == "mode-securite"
    assert "cle-pc" in [a.slug for a in search(ARTICLES, "clé PC réinitialiser", "fr")]
    assert next(a.slug for a in search(ARTICLES, "safety mode", "en")) == "mode-securite"


def test_search_reads_the_page_language_only() -> None:
    assert search(ARTICLES, "gestion commerciale", "en") == []
    assert search(ARTICLES, "", "fr") == []


def test_links_point_at_ero_or_at_the_vendor_knowledge_base() -> None:
    assert KnowledgeLinks.resolve("https://ero.example/", None).url("tva") == (
        "https://ero.example/aide/tva"
    )
    assert KnowledgeLinks.resolve("https://ero.example", "https://kb.vendor.example/a/").url(
        "tva"
    ) == ("https://kb.vendor.example/a/tva")
