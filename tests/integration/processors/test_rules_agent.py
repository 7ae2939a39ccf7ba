"""The rules agent in Faust's test context, with the real ClickHouse engine behind it."""

from __future__ import annotations

from typing import Any

import faust
from faust.types import Message

from infra.clickhouse import ClickHouse
from knowledge.links import OWN_LINKS
from processors.catalog import load_catalog
from processors.catalog_store import CatalogStore
from processors.live_rules import LiveRules, initial_catalog, register_rules
from schemas import SyncEvent

MESSAGE = "Quota XYZQ dépassé sur le site"


def _event() -> SyncEvent:
    return SyncEvent.model_validate(
        {
            "connector_id": "c",
            "occurred_at": "2026-11-28T10:00:00+01:00",
            "operation": "product.export",
            "status": "error",
            "message": MESSAGE,
        }
    )


def _rules_app(name: str, store: CatalogStore) -> tuple[Any, Any]:
    """A Faust app with only the rules agent, and the GlobalTable it fills."""
    app: Any = faust.App(name, store="memory://", autodiscover=False)
    topic = app.topic("rules", key_serializer="raw", value_serializer="raw")
    return app, register_rules(app, topic, store)


async def test_a_catalog_record_reaches_the_table_the_store_and_the_classifier(
    clickhouse: ClickHouse,
) -> None:
    store = CatalogStore(clickhouse)
    bundled = load_catalog()
    app, table = _rules_app("test-rules", store)
    live = LiveRules(initial_catalog(store, bundled), table, OWN_LINKS)
    assert live.classifier().classify(_event()).rule_id == "fallback.cms"

    rule = bundled.rules[0].model_copy(
        update={"id": "cms.quota", "codes": (), "patterns": ("quota xyzq",), "priority": 99}
    )
    newer = bundled.model_copy(
        update={"version": bundled.version + 1, "rules": (*bundled.rules, rule)}
    )
    older = bundled.model_copy(update={"version": bundled.version})
    apply = app.agents["apply-rule-catalogs"]
    async with apply.test_context() as agent:
        await agent.put(newer.model_dump_json().encode(), key=b"catalog")
        classified = live.classifier().classify(_event())
        assert (classified.rule_id, classified.rule_version) == ("cms.quota", newer.version)
        # A stale record (older version) never rolls the rules back.
        await agent.put(older.model_dump_json().encode(), key=b"catalog")
        assert live.classifier().catalog.version == newer.version

    assert store.latest_version() == newer.version
    restarted = LiveRules(initial_catalog(store, bundled), table={}, links=OWN_LINKS)
    assert restarted.classifier().catalog.version == newer.version, "ClickHouse keeps the newest"


async def test_an_unreadable_catalog_record_is_refused_and_changes_nothing(
    clickhouse: ClickHouse,
) -> None:
    store = CatalogStore(clickhouse)
    app, table = _rules_app("test-rules-bad", store)
    before = store.latest_version()
    async with app.agents["apply-rule-catalogs"].test_context() as agent:
        await agent.put(b'{"version": "not a number"}', key=b"catalog")
    assert store.latest_version() == before
    assert table.get(b"catalog") is None


async def test_the_catalog_comes_back_from_the_changelog_as_the_table_wrote_it(
    clickhouse: ClickHouse,
) -> None:
    """What a worker that does not run the agent (a classify-only one), or one recovering after
    a restart, reads: the changelog record, decoded by the changelog topic and applied to the
    table. Keyed b"catalog" and holding the catalog's JSON, both raw: read back as JSON, the
    key failed to decode and Faust's recovery dropped the record ("Error in recovery")."""
    _, table = _rules_app("test-rules-changelog", CatalogStore(clickhouse))
    catalog = load_catalog().model_dump_json().encode()
    message = Message(
        topic=table.changelog_topic.get_topic_name(),
        partition=0,
        offset=0,
        timestamp=0.0,
        timestamp_type=0,
        headers=None,
        key=b"catalog",
        value=catalog,
        checksum=None,
    )
    event = await table.changelog_topic.decode(message, propagate=True)
    table.apply_changelog_batch([event])
    assert table.get(b"catalog") == catalog
    assert LiveRules(load_catalog(), table, OWN_LINKS).classifier().catalog == load_catalog()
