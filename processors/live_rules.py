"""Rules that change without a restart: the catalog is published to a compacted topic, every
worker holds it in a Faust GlobalTable, and classification picks up a newer version at its next
batch."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import structlog
from pydantic import ValidationError

from knowledge.links import KnowledgeLinks
from processors.catalog import Catalog
from processors.catalog_store import CatalogStore
from processors.classifier import Classifier

log = structlog.get_logger(__name__)

CATALOG_KEY = b"catalog"


class LiveRules:
    """The classifier of the newest catalog this worker has seen."""

    def __init__(self, initial: Catalog, table: Any, links: KnowledgeLinks) -> None:
        self._links = links
        self._classifier = Classifier(initial, links)
        self._table = table
        self._seen: bytes | None = None

    def classifier(self) -> Classifier:
        published = self._table.get(CATALOG_KEY)
        if published is not None and published != self._seen:
            self._seen = published
            catalog = Catalog.model_validate_json(published)
            if catalog.version > self._classifier.catalog.version:
                self._classifier = Classifier(catalog, self._links)
                log.info("rules_applied", version=catalog.version, rules=len(catalog.rules))
        return self._classifier


def rules_table(app: Any) -> Any:
    """The GlobalTable holding the catalog; every worker reads it, a classify-only one too.

    Key and value are bytes, declared as the types: Faust derives a table's serializers (and
    so its changelog topic's, which override any schema's) from key_type and value_type alone,
    falling back to JSON. A schema of raw serializers is not enough: the changelog record keyed
    b"catalog" was written raw and read back as JSON, its key failed to decode ("Error in
    recovery unexpected character"), and Faust dropped it, so a worker that learns the catalog
    from the changelog alone (a classify-only one, which runs no rules agent) never applied a
    published catalog."""
    return app.GlobalTable(
        "rules",
        partitions=1,
        recovery_buffer_size=1,
        key_type=bytes,
        value_type=bytes,
    )


def register_rules(
    app: Any,
    rules_topic: Any,
    store: CatalogStore,
    on_done: Callable[[Any], None] = lambda _: None,
) -> Any:
    """The GlobalTable holding the catalog, and the agent that fills it (and ClickHouse)."""
    table = rules_table(app)

    async def applied(faust_event: Any) -> int | None:
        """The version this record made current, or None when it is refused."""
        try:
            catalog = Catalog.model_validate_json(faust_event.value)
        except ValidationError as exc:
            # The API validates before publishing; a record from elsewhere is refused loudly.
            log.error("rule_catalog_unreadable", offset=faust_event.message.offset, error=str(exc))
            return None
        held = table.get(CATALOG_KEY)
        if held is not None and Catalog.model_validate_json(held).version >= catalog.version:
            log.warning("rule_catalog_stale", version=catalog.version)
            return None
        await store.asave(catalog)
        table[CATALOG_KEY] = faust_event.value
        log.info("rule_catalog_received", version=catalog.version)
        return catalog.version

    @app.agent(rules_topic, name="apply-rule-catalogs")
    async def apply(stream: Any) -> AsyncIterator[int | None]:
        """Yields the version applied (None when refused): what a test context waits for."""
        async for faust_event in stream.events():
            version = await applied(faust_event)
            on_done(faust_event)
            yield version

    return table


def initial_catalog(store: CatalogStore, bundled: Catalog) -> Catalog:
    """The newest catalog known to ClickHouse, or the bundled one (then recorded as published)."""
    latest = store.latest()
    if latest is not None and latest.version >= bundled.version:
        return latest
    store.save(bundled)
    return bundled
