"""ERO_KB_BASE_URL picks where remediations link: ERO's own articles under ERO_PUBLIC_URL (or
the API's URL), else the vendor's knowledge base; the catalog's old `kb_base_url` is not read."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from ero.cli import main
from ero.deployment import Deployment
from ero.settings import Settings
from processors.catalog import DEFAULT_CATALOG, parse_catalog
from processors.classifier import Classifier


def _links(**settings: object) -> str:
    links = Deployment.resolve(Settings.model_validate(settings), "127.0.0.1:9092").knowledge_links
    return links.url("tva")


def test_links_go_to_ero_unless_the_vendor_names_its_knowledge_base() -> None:
    assert _links(api_port=8123) == "http://127.0.0.1:8123/aide/tva"
    assert _links(public_url="https://ero.vendor.example/") == "https://ero.vendor.example/aide/tva"
    assert _links(kb_base_url="https://aide.vendor.example/kb/") == (
        "https://aide.vendor.example/kb/tva"
    )
    with pytest.raises(ValidationError):
        Settings.model_validate({"kb_base_url": "javascript:alert(1)"})


def test_a_catalog_naming_its_old_base_url_still_loads_and_links_to_ero() -> None:
    bundled = DEFAULT_CATALOG.read_text(encoding="utf-8")
    old = parse_catalog(
        bundled.replace("version = 1\n", 'version = 1\nkb_base_url = "https://x"\n')
    )
    explained = Classifier(old).explain("order.import", "error", None, "le taux de TVA est inconnu")
    assert explained.remediation.url == "/aide/tva"


def test_rules_check_warns_of_a_slug_without_an_article(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundled = DEFAULT_CATALOG.read_text(encoding="utf-8")
    catalog = tmp_path / "rules.toml"
    catalog.write_text(bundled.replace('kb = "stock-negatif"', 'kb = "stock-a-zero"'))
    with pytest.raises(SystemExit) as done:
        main(["rules", "check", str(catalog)])
    assert done.value.code == 0
    assert capsys.readouterr().out.splitlines()[1:] == [
        "warning: no article knowledge/articles/stock-a-zero.md for erp.negative_stock"
    ]
