"""Shadow copies of sync_events and of every rollup a materialized view feeds from it.

A replay writes into the shadows while readers keep querying the live tables; then each shadow is
exchanged with its live table (`EXCHANGE TABLES`, atomic per pair) and the old tables are dropped.
The rollups and their views are discovered from ClickHouse itself, so a rollup added by a later
migration is rebuilt too. Materialized views follow table names: after the exchange the live
views feed the new tables and the shadow views the old ones, which are dropped with them.
"""

from __future__ import annotations

import re

import structlog

from infra.clickhouse import ClickHouse
from projections.sync_events import TABLE
from projections.views import views

log = structlog.get_logger(__name__)

SUFFIX = "_shadow"


def _renamed(statement: str, names: list[str]) -> str:
    """The statement with every `db.name` of `names` pointing at its shadow."""
    for name in names:
        statement = re.sub(rf"\b(\w+)\.{re.escape(name)}\b", rf"\1.{name}{SUFFIX}", statement)
    return statement


class ShadowTables:
    def __init__(self, clickhouse: ClickHouse, source: str = TABLE) -> None:
        self._clickhouse = clickhouse
        self.source = source
        self._views = views(clickhouse, source)
        self.tables = [source, *dict.fromkeys(view.target for view in self._views)]

    @property
    def source_shadow(self) -> str:
        return self.source + SUFFIX

    def drop(self) -> None:
        """Drop the shadows (views first, so no insert feeds a half-dropped set)."""
        for view in self._views:
            self._clickhouse.command(f"DROP VIEW IF EXISTS {view.name}{SUFFIX} SYNC")
        for table in self.tables:
            self._clickhouse.command(f"DROP TABLE IF EXISTS {table}{SUFFIX} SYNC")

    def create(self) -> None:
        """Empty shadows of the same structure, with views feeding the shadow rollups."""
        self.drop()
        for table in self.tables:
            self._clickhouse.command(f"CREATE TABLE {table}{SUFFIX} AS {table}")
        names = [*self.tables, *(view.name for view in self._views)]
        for view in self._views:
            self._clickhouse.command(_renamed(view.create, names))

    def days(self) -> list[str]:
        rows = self._clickhouse.rows(
            """
            SELECT DISTINCT partition FROM system.parts
            WHERE database = currentDatabase() AND table = {table:String} AND active
            ORDER BY partition
            """,
            {"table": self.source},
        )
        return [str(row[0]) for row in rows]

    def copy_missing(self) -> int:
        """Copy into the shadow the live events (licence, event_id) it lacks: events outside
        what was replayed (older than the log, or accepted while the replay ran). Day by day,
        the way the table is partitioned, so each anti-join stays small. Returns the rows
        copied."""
        copied = 0
        for day in self.days():
            before = self._count(self.source_shadow, day)
            self._clickhouse.command(
                f"""
                INSERT INTO {self.source_shadow}
                SELECT * FROM {self.source}
                WHERE toDate(occurred_at) = toDate({{day:String}})
                  AND (licence_id, event_id) NOT IN (
                      SELECT licence_id, event_id FROM {self.source_shadow}
                      WHERE toDate(occurred_at) = toDate({{day:String}})
                  )
                """,
                {"day": day},
            )
            copied += self._count(self.source_shadow, day) - before
        return copied

    def _count(self, table: str, day: str) -> int:
        rows = self._clickhouse.rows(
            f"SELECT count() FROM {table} WHERE toDate(occurred_at) = toDate({{day:String}})",
            {"day": day},
        )
        return int(rows[0][0])

    def swap(self) -> None:
        """Exchange every shadow with its live table, then drop the old ones."""
        for table in self.tables:
            self._clickhouse.command(f"EXCHANGE TABLES {table} AND {table}{SUFFIX}")
        log.info("shadow_tables_swapped", tables=self.tables)
        self.drop()
