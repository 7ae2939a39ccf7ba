"""The process's ClickHouse, opened and migrated to the current schema."""

from __future__ import annotations

from ero.settings import Settings
from infra.clickhouse import ClickHouse
from projections.migrations import migrate


def open_clickhouse(settings: Settings) -> ClickHouse:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    clickhouse = ClickHouse(settings.resolved_clickhouse_dsn)
    migrate(
        clickhouse,
        settings.retention_days,
        settings.rollup_retention_days,
        settings.clickhouse_cluster,
    )
    return clickhouse
