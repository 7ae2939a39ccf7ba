"""Published rule catalogs kept in ClickHouse: the newest one survives restarts."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from infra.clickhouse import ClickHouse
from processors.catalog import Catalog


class CatalogStore:
    def __init__(self, clickhouse: ClickHouse) -> None:
        self._clickhouse = clickhouse

    def latest(self) -> Catalog | None:
        rows = self._clickhouse.rows(
            "SELECT catalog FROM rule_catalogs FINAL ORDER BY version DESC LIMIT 1"
        )
        return Catalog.model_validate_json(rows[0][0]) if rows else None

    def latest_version(self) -> int:
        return int(self._clickhouse.rows("SELECT max(version) FROM rule_catalogs")[0][0])

    def save(self, catalog: Catalog) -> None:
        self._clickhouse.insert_columns(
            "rule_catalogs",
            ("version", "catalog", "published_at"),
            ([catalog.version], [catalog.model_dump_json()], [datetime.now(UTC)]),
        )

    async def asave(self, catalog: Catalog) -> None:
        await asyncio.to_thread(self.save, catalog)

    async def alatest_version(self) -> int:
        return await asyncio.to_thread(self.latest_version)
