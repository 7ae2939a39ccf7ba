"""Markdown to HTML for the articles: CommonMark without raw HTML (any tag written in an
article is shown as text, escaped) and without images; links keep markdown-it's check, which
refuses `javascript:`, `vbscript:`, `file:` and `data:` addresses."""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False}).disable("image")
_MARKS = re.compile(r"\]\([^)]*\)|[*_`#>\[\]]")


def to_html(markdown: str) -> str:
    return str(_MARKDOWN.render(markdown))


def summary(markdown: str, limit: int = 240) -> str:
    """The first paragraph after the first heading, as plain text, at most `limit` characters."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", markdown) if p.strip()]
    text = next((p for p in paragraphs if not p.startswith("#")), "")
    plain = " ".join(_MARKS.sub("", text).split())
    return plain if len(plain) <= limit else plain[: limit - 1].rstrip() + "…"
