"""Every knowledge-base slug the rule catalog names has its article, in French and English, and
the article names the remote actions its rules suggest."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.articles import SECTIONS, ArticleError, load_articles, parse_article
from processors.catalog import load_catalog

ARTICLES = load_articles()
CATALOG = load_catalog()


def test_every_slug_of_the_catalog_has_an_article_in_both_languages() -> None:
    missing = sorted(slug for slug in CATALOG.slugs() if slug not in ARTICLES)
    assert missing == [], f"write knowledge/articles/<slug>.md for {missing}"
    for slug in CATALOG.slugs():
        article = ARTICLES[slug]
        for lang in ("fr", "en"):
            assert article.title(lang)
            assert all(f"## {heading}" in article.bodies[lang] for heading in SECTIONS[lang][:3])


def test_articles_no_rule_names_are_listed(capsys: pytest.CaptureFixture[str]) -> None:
    """Allowed (an article may be written before its rule), but said."""
    unused = sorted(set(ARTICLES) - set(CATALOG.slugs()))
    print("articles no rule links to:", unused or "none")
    assert "articles no rule links to" in capsys.readouterr().out


def test_an_article_names_the_actions_its_rules_suggest() -> None:
    for rule in CATALOG.rules:
        if rule.action is not None:
            assert rule.action in ARTICLES[rule.kb].actions, f"{rule.kb}.md: add {rule.action}"


def test_an_article_missing_a_section_or_a_language_is_refused(tmp_path: Path) -> None:
    head = "---\ntitle_fr: Un\ntitle_en: One\n---\n"
    fr = "# fr\n## Cause\n\nx\n\n## Est-ce bloquant pour la synchronisation ?\n\nx\n\n"
    no_todo = tmp_path / "sans-que-faire.md"
    no_todo.write_text(head + fr + "# en\n## Cause\n\nx\n", encoding="utf-8")
    with pytest.raises(ArticleError, match=r"sans-que-faire\.md: the fr sections"):
        parse_article(no_todo)
    french_only = tmp_path / "francais.md"
    french_only.write_text(head + fr + "## Que faire\n\nx\n", encoding="utf-8")
    with pytest.raises(ArticleError, match="write `# fr` then `# en`"):
        parse_article(french_only)
    unknown_action = tmp_path / "action.md"
    unknown_action.write_text("---\ntitle_fr: a\ntitle_en: b\nactions: format_disk\n---\n")
    with pytest.raises(ArticleError, match="unknown actions"):
        parse_article(unknown_action)
