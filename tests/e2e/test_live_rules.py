"""A new rule catalog reaches running workers without a restart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from processors.catalog import DEFAULT_CATALOG, load_catalog
from tests.support.catalogs import applied_versions, next_catalog
from tests.support.factories import sync_line
from tests.support.pipeline import (
    Pipeline,
    assigned_partitions,
    licence_on,
    scaled_out,
    wait_until,
)

pytestmark = pytest.mark.pipeline


def _line(message: str) -> dict[str, Any]:
    return sync_line(
        connector_id="shop-live", operation="product.export", status="error", message=message
    )


def test_a_published_catalog_applies_to_new_events_while_they_flow(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    licence = pipeline.create_licence("live rules")
    bundled = load_catalog()
    catalog, next_version = next_catalog(tmp_path)
    with (
        pipeline.client(licence.connector_key) as connector,
        pipeline.client(licence.reader_token) as reader,
    ):
        before = _line("Quota XYZQ dépassé sur le site")
        assert connector.post("/v1/events", json=[before]).status_code == 202

        def report(event_id: str) -> dict[str, Any] | None:
            items = reader.get("/v1/reports", params={"limit": 500}).json()["items"]
            return next((item for item in items if item["event_id"] == event_id), None)

        old = wait_until(lambda: report(before["event_id"]))
        assert old["rule_id"] == "fallback.cms"
        assert old["rule_version"] == bundled.version

        published = pipeline.ero("rules", "publish", str(catalog))
        assert published.returncode == 0, published.stderr

        def newest_classified_by_new_rule() -> dict[str, Any] | None:
            line = _line("Quota XYZQ dépassé sur le site")
            assert connector.post("/v1/events", json=[line]).status_code == 202
            item = wait_until(lambda: report(line["event_id"]))
            return item if item["rule_id"] == "cms.quota_xyzq" else None

        item = wait_until(newest_classified_by_new_rule, timeout=30)
        assert item["rule_version"] == next_version
        assert item["remediation"]["action"] == "clear_cache"
        assert item["remediation"]["hint_en"] == "The shop's XYZQ quota is reached."
        # What was classified before keeps the rule that classified it.
        assert report(before["event_id"])["rule_id"] == "fallback.cms"  # type: ignore[index]

    again = pipeline.ero("rules", "publish", str(catalog))
    assert again.returncode == 2
    assert "not newer than the published version" in again.stderr
    assert again.stderr.count("\n") == 1
    # The GlobalTable reads its own changelog back: the published record decodes.
    assert "Error in recovery" not in pipeline.log.read_text()


def test_a_classify_only_worker_learns_a_published_catalog_from_the_changelog(
    tmp_path: Path,
) -> None:
    """A classify-only worker runs no rules agent: the rules table's changelog is the only way
    a published catalog reaches it."""
    with scaled_out(tmp_path) as both:
        pipeline, helper = both.pipeline, both.helper
        catalog, next_version = next_catalog(tmp_path)
        published = pipeline.ero("rules", "publish", str(catalog))
        assert published.returncode == 0, published.stderr

        # A licence whose records the helper classifies (records are keyed by licence).
        licence = licence_on(pipeline, assigned_partitions(helper.log, "ero.events.raw"))
        with pipeline.client(licence.connector_key) as connector:

            def helper_applied_the_catalog() -> bool | None:
                lines = [
                    sync_line(
                        connector_id=f"c{n}",
                        operation="product.export",
                        status="error",
                        message="Quota XYZQ dépassé sur le site",
                    )
                    for n in range(8)
                ]
                assert connector.post("/v1/events", json=lines).status_code == 202
                return True if next_version in applied_versions(helper.log) else None

            wait_until(helper_applied_the_catalog, timeout=60, every=0.5)
        assert "Error in recovery" not in helper.log.read_text()
        assert "Error in recovery" not in pipeline.log.read_text()


def test_a_broken_catalog_is_refused_before_publishing(pipeline: Pipeline, tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text(
        DEFAULT_CATALOG.read_text(encoding="utf-8").replace(
            'action = "clear_cache"', 'action = "x"'
        ),
        encoding="utf-8",
    )
    done = pipeline.ero("rules", "publish", str(broken))
    assert done.returncode == 2
    assert "rule 'connector.cache': action:" in done.stderr
