"""Every field of the configuration names itself for people in both languages: the web form,
the readable diff and the API read their words from the schema, so a field added without them
would show a raw key."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from schemas.configuration import ConfigurationRequest, ConnectorConfiguration

WORDS = ("title_fr", "title_en", "help_fr", "help_en")


def _fields(schema: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    definitions = schema.get("$defs", {})

    def walk(node: dict[str, Any], path: str) -> Iterator[tuple[str, dict[str, Any]]]:
        ref = node.get("$ref")
        resolved = {**definitions[ref.rsplit("/", 1)[1]], **node} if ref else node
        for name, child in resolved.get("properties", {}).items():
            yield f"{path}/{name}", child
            yield from walk(child, f"{path}/{name}")

    return walk(schema, "")


def test_every_field_has_french_and_english_names_and_help() -> None:
    fields = list(_fields(ConfigurationRequest.model_json_schema()))
    assert len(fields) > 20
    missing = [(path, word) for path, node in fields for word in WORDS if not node.get(word)]
    assert missing == []


def test_every_choice_is_named_in_both_languages() -> None:
    for path, node in _fields(ConnectorConfiguration.model_json_schema()):
        if "enum" in node:
            for words in ("choices_fr", "choices_en"):
                assert set(node.get(words, {})) == set(node["enum"]), (path, words)


def test_the_settings_that_destroy_shop_data_say_what_they_do() -> None:
    risky = {
        path: node["risk_when"]
        for path, node in _fields(ConnectorConfiguration.model_json_schema())
        if node.get("risk_fr") and node.get("risk_en")
    }
    assert risky == {"/safety_mode": False, "/products/price_grid_cleanup": True}
