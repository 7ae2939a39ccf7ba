"""The migrations rendered for a ClickHouse cluster, checked on the real migrations' statements
and parsed by the real ClickHouse parser (chdb): ON CLUSTER everywhere, replicated local tables,
Distributed tables in front, views from local table to local table."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any, cast

import pytest

from infra.clickhouse import ClickHouse
from projections.cluster import ClusterDDL, UnsupportedStatement, render
from projections.migrations import SCHEMA_MIGRATIONS, Migration, MigrationContext, discover
from tests.support.pipeline import BIN


class _Recorder:
    """Stands for ClickHouse: keeps the statements a migration runs."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def command(self, sql: str, parameters: Any = None) -> None:
        self.statements.append(sql)


def forwards_statements(migration: Migration) -> tuple[str, ...]:
    """The statements a migration runs on a single node, in order."""
    recorder = _Recorder()
    migration.forwards(MigrationContext(cast(ClickHouse, recorder), 90, 730))
    return tuple(recorder.statements)


def _ddl(statement: str) -> bool:
    """Data statements (a migration's `fill`) run as they are, through the Distributed tables."""
    return not statement.lstrip().startswith("INSERT")


STATEMENTS = (
    SCHEMA_MIGRATIONS,
    *(s for m in discover() for s in forwards_statements(m) if _ddl(s)),
)
CREATED = [re.search(r"CREATE TABLE IF NOT EXISTS (\w+)", s) for s in STATEMENTS]
TABLES = sorted(match[1] for match in CREATED if match)


def test_without_a_cluster_the_statements_are_untouched() -> None:
    for migration in discover():
        statements = forwards_statements(migration)
        assert ClusterDDL(None).render(statements) is statements


@pytest.mark.parametrize("statement", STATEMENTS, ids=lambda s: " ".join(s.split())[:40])
def test_every_statement_runs_on_the_cluster_and_parses(
    statement: str, clickhouse: ClickHouse
) -> None:
    rendered = render((statement,), "ero")
    for sql in rendered:
        assert " ON CLUSTER ero" in sql
        assert clickhouse.rows(f"EXPLAIN AST {sql}"), sql


@pytest.mark.parametrize("table", TABLES)
def test_a_table_is_replicated_locally_and_distributed_by_licence(table: str) -> None:
    (statement,) = [s for s in STATEMENTS if f"CREATE TABLE IF NOT EXISTS {table} (" in s]
    local, distributed = render((statement,), "ero")
    assert f"CREATE TABLE IF NOT EXISTS {table}_local ON CLUSTER ero (" in local
    assert re.search(
        rf"ENGINE = Replicated\w*MergeTree\('/clickhouse/tables/{{shard}}/{{database}}/"
        rf"{table}_local', '{{replica}}'",
        local,
    )
    shard_by = "cityHash64(licence_id)" if "licence_id " in statement else "rand()"
    assert distributed.strip() == (
        f"CREATE TABLE IF NOT EXISTS {table} ON CLUSTER ero AS {table}_local "
        f"ENGINE = Distributed(ero, currentDatabase(), {table}_local, {shard_by})"
    )


def test_engine_arguments_and_settings_are_kept() -> None:
    (statement,) = [s for s in STATEMENTS if "CREATE TABLE IF NOT EXISTS sync_events (" in s]
    local, _ = render((statement,), "ero")
    assert "'{replica}', version)" in local
    assert "TTL toDateTime(occurred_at) + INTERVAL 90 DAY" in local
    assert "SETTINGS ttl_only_drop_parts = 1" in local
    assert local.count("INDEX idx_") == statement.count("INDEX idx_")


def test_views_read_and_write_local_tables() -> None:
    views = [s for s in STATEMENTS if "MATERIALIZED VIEW" in s]
    assert views
    for view in views:
        (sql,) = render((view,), "ero")
        assert re.search(r"TO \w+_local AS", sql)
        assert re.findall(r"FROM (\w+)", sql) == ["sync_events_local"]


def test_alters_reach_the_local_and_the_distributed_table() -> None:
    alter = next(s for s in STATEMENTS if "ADD COLUMN IF NOT EXISTS duration_ms" in s)
    local, distributed = render((alter,), "ero")
    assert "ALTER TABLE sync_events_local ON CLUSTER ero" in local
    assert "ALTER TABLE sync_events ON CLUSTER ero" in distributed


def test_projections_and_settings_reach_the_local_table_only() -> None:
    alters = [s for s in STATEMENTS if "PROJECTION" in s or "MODIFY SETTING" in s]
    assert len(alters) == 10  # m0012's three, m0013's seven
    for alter in alters:
        (local,) = render((alter,), "ero")
        table = re.search(r"ALTER TABLE (\w+)", alter)[1]  # type: ignore[index]
        assert f"ALTER TABLE {table}_local ON CLUSTER ero" in local


def test_unknown_statements_and_cluster_names_are_refused() -> None:
    with pytest.raises(UnsupportedStatement, match="no cluster rendering"):
        render(("DROP TABLE sync_events",), "ero")
    with pytest.raises(UnsupportedStatement, match="letters, digits"):
        render(STATEMENTS[:1], "ero; DROP")


def test_a_cluster_the_server_does_not_define_is_one_line(tmp_path: Path) -> None:
    migrate = subprocess.run(
        [str(BIN / "ero"), "migrate"],
        env={**os.environ, "ERO_DATA_DIR": str(tmp_path), "ERO_CLICKHOUSE_CLUSTER": "ero"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert migrate.returncode == 2
    assert migrate.stderr.startswith("ero: error: ClickHouse at chdb://")
    assert migrate.stderr.rstrip().endswith(
        "defines no cluster 'ero' (system.clusters): add it to remote_servers, or unset "
        "ERO_CLICKHOUSE_CLUSTER"
    )
    assert migrate.stderr.count("\n") == 1
