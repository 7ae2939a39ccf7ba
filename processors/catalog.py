"""The rule catalog: declarative data (processors/rules.toml), validated into typed rules."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from schemas import Level, Origin

DEFAULT_CATALOG = Path(__file__).with_name("rules.toml")


class Rule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    codes: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    operations: tuple[str, ...] = ()
    levels: tuple[Level, ...] = (Level.ALERT, Level.ERROR)
    origin: Origin
    priority: int = 10
    action: str | None = None
    kb: str
    hint_fr: str
    hint_en: str

    @field_validator("patterns")
    @classmethod
    def _compilable(cls, patterns: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(
                    f"pattern {pattern!r} is not a valid regular expression: {exc}"
                ) from exc
        return patterns


class Fallback(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kb: str
    hint_fr: str
    hint_en: str
    action: str | None = None


class Catalog(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int
    kb_base_url: str
    rules: tuple[Rule, ...]
    fallbacks: dict[Origin, Fallback] = Field(min_length=len(Origin))

    def kb_url(self, slug: str) -> str:
        return f"{self.kb_base_url.rstrip('/')}/{slug}"


def load_catalog(path: Path = DEFAULT_CATALOG) -> Catalog:
    with path.open("rb") as handle:
        return Catalog.model_validate(tomllib.load(handle))
