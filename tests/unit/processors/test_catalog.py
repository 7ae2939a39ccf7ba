from __future__ import annotations

import pytest

from processors.catalog import DEFAULT_CATALOG, CatalogError, load_catalog, parse_catalog

BUNDLED = DEFAULT_CATALOG.read_text(encoding="utf-8")


def test_the_bundled_catalog_is_valid() -> None:
    catalog = load_catalog()
    assert catalog.version >= 1
    assert len({rule.id for rule in catalog.rules}) == len(catalog.rules)


def test_an_unknown_origin_is_reported_with_the_rule_id_and_line() -> None:
    broken = BUNDLED.replace('origin = "erp"', 'origin = "erpp"', 1)
    line = next(i for i, text in enumerate(broken.splitlines(), 1) if '"erpp"' in text)
    with pytest.raises(CatalogError) as caught:
        parse_catalog(broken, "rules.toml")
    message = str(caught.value)
    assert f"rules.toml:{line}: rule 'erp.missing_item': origin:" in message


def test_an_unknown_action_a_bad_regex_and_a_duplicate_id_are_all_named() -> None:
    broken = BUNDLED.replace('action = "clear_cache"', 'action = "reboot_pc"').replace(
        'patterns = ["mode (de )?securite", "safety mode"]', 'patterns = ["(mode"]'
    )
    with pytest.raises(CatalogError) as caught:
        parse_catalog(broken, "rules.toml")
    message = str(caught.value)
    assert "rule 'connector.cache': action:" in message
    assert "rule 'connector.safety_mode': patterns:" in message
    assert "not a valid regex" in message
    duplicated = (
        BUNDLED
        + '\n[[rules]]\nid = "erp.connection"\ncodes = ["X"]\norigin = "erp"\n'
        + ('kb = "x"\nhint_fr = "x"\nhint_en = "x"\n')
    )
    with pytest.raises(CatalogError, match=r"'erp\.connection' appears twice"):
        parse_catalog(duplicated, "rules.toml")


def test_toml_syntax_errors_name_the_line() -> None:
    with pytest.raises(CatalogError, match=r"rules.toml: not valid TOML: .*line 2"):
        parse_catalog("version = 2\nkb_base_url = \n[x]\n", "rules.toml")


def test_every_name_a_slug_lists_is_found_with_its_own_article() -> None:
    catalog = load_catalog(DEFAULT_CATALOG)
    for slug, names in catalog.slugs().items():
        for name in names:
            assert catalog.named(name).kb == slug
    assert "summary" in catalog.slugs()["bilan-synchronisation"]
    with pytest.raises(KeyError):
        catalog.named("no.such.rule")
