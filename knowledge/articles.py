"""The articles: `articles/<slug>.md`, a front matter then the French and the English text.

    ---
    title_fr: Article absent de la gestion commerciale
    title_en: Item missing from the ERP
    actions: diagnose_missing_products
    ---
    # fr
    ## Cause
    ...
    # en
    ## Cause
    ...

Each language holds the sections of SECTIONS (the remote-action one only when `actions` names
some). A file that breaks these rules stops the process at start, naming the file and why.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas.actions import SUGGESTIBLE
from schemas.text import fold

ARTICLES = Path(__file__).with_name("articles")
SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
MAX_SLUG = 64

Lang = Literal["fr", "en"]
LANGS: tuple[Lang, ...] = ("fr", "en")

# The headings every article answers, per language; the last one only when an action helps.
SECTIONS: dict[Lang, tuple[str, ...]] = {
    "fr": (
        "Cause",
        "Est-ce bloquant pour la synchronisation ?",
        "Que faire",
        "Action à distance utile",
    ),
    "en": ("Cause", "Does it block the sync?", "What to do", "Helpful remote action"),
}

_HEADING = re.compile(r"^## (.+?)\s*$", re.MULTILINE)


class ArticleError(ValueError):
    """An article file that cannot be served; the message names the file."""


class Article(BaseModel):
    model_config = ConfigDict(frozen=True)

    slug: str = Field(pattern=SLUG, max_length=MAX_SLUG)
    titles: dict[Lang, str]
    actions: tuple[str, ...]
    """The remote actions (schemas.actions names) the article tells the merchant to run."""
    bodies: dict[Lang, str]
    """Markdown, one per language."""

    def title(self, lang: Lang) -> str:
        return self.titles[lang]

    def searchable(self, lang: Lang) -> tuple[str, str]:
        """(title, title and text), folded as search queries are."""
        return fold(self.titles[lang]), fold(f"{self.titles[lang]}\n{self.bodies[lang]}")


def _front_matter(path: Path, text: str) -> tuple[dict[str, str], str]:
    if not text.startswith("---\n"):
        raise ArticleError(f"{path.name}: starts with a front matter between two --- lines")
    head, separator, rest = text[4:].partition("\n---\n")
    if not separator:
        raise ArticleError(f"{path.name}: the front matter has no closing --- line")
    fields: dict[str, str] = {}
    for line in head.splitlines():
        key, colon, value = line.partition(":")
        if not colon:
            raise ArticleError(f"{path.name}: front matter line {line!r} is not `key: value`")
        fields[key.strip()] = value.strip()
    return fields, rest


def _bodies(path: Path, text: str, has_actions: bool) -> dict[Lang, str]:
    parts = re.split(r"^# (fr|en)\s*$", text, flags=re.MULTILINE)
    if parts[0].strip() or [parts[1::2]] != [list(LANGS)]:
        raise ArticleError(f"{path.name}: write `# fr` then `# en`, each followed by its text")
    bodies: dict[Lang, str] = {}
    for lang, body in zip(LANGS, parts[2::2], strict=True):
        wanted = SECTIONS[lang] if has_actions else SECTIONS[lang][:-1]
        found = tuple(_HEADING.findall(body))
        if found != wanted:
            raise ArticleError(f"{path.name}: the {lang} sections are {found}, expected {wanted}")
        bodies[lang] = body.strip()
    return bodies


def parse_article(path: Path) -> Article:
    fields, rest = _front_matter(path, path.read_text(encoding="utf-8"))
    actions = tuple(a.strip() for a in fields.pop("actions", "").split(",") if a.strip())
    unknown = [a for a in actions if a not in SUGGESTIBLE]
    if unknown:
        raise ArticleError(f"{path.name}: unknown actions {unknown}")
    titles = {lang: fields.pop(f"title_{lang}", "") for lang in LANGS}
    if not all(titles.values()) or fields:
        raise ArticleError(f"{path.name}: the front matter holds title_fr, title_en, actions")
    return Article(
        slug=path.stem,
        titles=titles,
        actions=actions,
        bodies=_bodies(path, rest, bool(actions)),
    )


@cache
def load_articles(folder: Path = ARTICLES) -> dict[str, Article]:
    """Every article of `folder`, by slug; read once per process."""
    return {path.stem: parse_article(path) for path in sorted(folder.glob("*.md"))}
