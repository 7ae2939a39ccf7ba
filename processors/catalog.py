"""The rule catalog: declarative data (processors/rules.toml), validated into typed rules.

Validation errors name the rule and the line of the file, so whoever edits the catalog can fix
it without reading a traceback.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from schemas import Level, Origin
from schemas.actions import SuggestedAction

DEFAULT_CATALOG = Path(__file__).with_name("rules.toml")


class Rule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, pattern=r"^[a-z0-9_.-]+$")
    codes: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    unless: tuple[str, ...] = Field(
        (), description="patterns that veto the rule (e.g. an ERP named in a shop rule)"
    )
    operations: tuple[str, ...] = ()
    levels: tuple[Level, ...] = (Level.ALERT, Level.ERROR)
    origin: Origin
    priority: int = 10
    action: SuggestedAction | None = None
    kb: str = Field(min_length=1)
    hint_fr: str = Field(min_length=1)
    hint_en: str = Field(min_length=1)

    @field_validator("patterns", "unless")
    @classmethod
    def _compilable(cls, patterns: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"pattern {pattern!r} is not a valid regex: {exc}") from exc
        return patterns

    @model_validator(mode="after")
    def _matches_something(self) -> Rule:
        if not self.codes and not self.patterns:
            raise ValueError("a rule needs at least one of `codes` or `patterns`")
        return self


class Fallback(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kb: str = Field(min_length=1)
    hint_fr: str = Field(min_length=1)
    hint_en: str = Field(min_length=1)
    action: SuggestedAction | None = None


class Catalog(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int = Field(ge=1)
    kb_base_url: str | None = Field(
        None,
        description="Not read: catalogs published before ERO served its own articles named "
        "their links' base here; ERO_KB_BASE_URL says where links point now.",
    )
    rules: tuple[Rule, ...]
    fallbacks: dict[Origin, Fallback] = Field(min_length=len(Origin))
    summary: Fallback | None = Field(
        None,
        description="the next step of a run's summary that counts problems; the connector's "
        "fallback when absent (catalogs published before it)",
    )

    @model_validator(mode="after")
    def _unique_ids(self) -> Catalog:
        seen: set[str] = set()
        for rule in self.rules:
            if rule.id in seen:
                raise ValueError(f"rule id {rule.id!r} appears twice")
            seen.add(rule.id)
        return self

    def slugs(self) -> dict[str, list[str]]:
        """Each knowledge-base slug the catalog names, with the rules (and `fallback.<origin>`)
        that name it."""
        named: dict[str, list[str]] = {}
        for rule in self.rules:
            named.setdefault(rule.kb, []).append(rule.id)
        for origin, fallback in self.fallbacks.items():
            named.setdefault(fallback.kb, []).append(f"fallback.{origin.value}")
        if self.summary is not None:
            named.setdefault(self.summary.kb, []).append("summary")
        return named

    def named(self, rule_id: str) -> Rule | Fallback:
        """What `slugs` names `rule_id`: a rule, `fallback.<origin>` or `summary`; KeyError when
        the catalog has none of them."""
        if rule_id == "summary" and self.summary is not None:
            return self.summary
        if rule_id.startswith("fallback."):
            return self.fallbacks[Origin(rule_id.removeprefix("fallback."))]
        found = next((rule for rule in self.rules if rule.id == rule_id), None)
        if found is None:
            raise KeyError(rule_id)
        return found


class CatalogError(ValueError):
    """A catalog that cannot be used; each line of the message names where and why."""


def _line_of(text: str, loc: tuple[int | str, ...], data: dict[str, Any]) -> tuple[int, str]:
    """(1-based line, rule label) where the error at `loc` sits in the TOML text."""
    lines = text.splitlines()
    start, label = 0, ""
    if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
        headers = [i for i, line in enumerate(lines) if line.strip() == "[[rules]]"]
        if loc[1] < len(headers):
            start = headers[loc[1]]
        rule = data.get("rules", [])[loc[1]] if loc[1] < len(data.get("rules", [])) else {}
        label = f"rule {rule.get('id', '#' + str(loc[1] + 1))!r}: "
    key = next((part for part in reversed(loc) if isinstance(part, str)), None)
    for index in range(start, len(lines)):
        if key and re.match(rf"\s*{re.escape(key)}\s*=", lines[index]):
            return index + 1, label
        if index > start and lines[index].strip().startswith("[") and key:
            break
    return start + 1, label


def parse_catalog(text: str, source: str = "<catalog>") -> Catalog:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"{source}: not valid TOML: {exc}") from exc
    try:
        return Catalog.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_url=False):
            line, label = _line_of(text, tuple(error["loc"]), data)
            field = ".".join(str(part) for part in error["loc"][2:] or error["loc"])
            problems.append(f"{source}:{line}: {label}{field}: {error['msg']}")
        raise CatalogError("\n".join(problems)) from exc


def load_catalog(path: Path = DEFAULT_CATALOG) -> Catalog:
    return parse_catalog(path.read_text(encoding="utf-8"), str(path))
