"""The migration modules: their layout, what the runner records, and the schema they produce,
checked against the schema the single-function migrations produced before the split; what an
upgrade fills."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from infra.clickhouse import ClickHouse
from processors.catalog import load_catalog
from processors.classifier import Classifier
from projections import migrations as package
from projections.migrations import (
    IrreversibleMigration,
    MigrationContext,
    discover,
    migrate,
    rollback,
    runner,
)
from projections.sync_events import SyncEventsWriter, rows_of
from schemas import ClassifiedBatch
from tests.support.factories import order_events

FIXTURE = Path(__file__).parent / "fixtures" / "migrated_schema.sql"
# The versions the single-function migrations recorded (grouped by tens: the gaps are theirs).
VERSIONS = [1, 2, 3, 4, 10, 11, 12, 13, 20, 21, 30, 31, 40, 41, 42, 60]
RETENTION_DAYS, ROLLUP_RETENTION_DAYS = 90, 730


def expected_schema() -> dict[str, str]:
    text = "\n".join(
        line
        for line in FIXTURE.read_text(encoding="utf-8").splitlines()
        if not line.startswith("--")
    )
    statements = [s.strip() for s in text.split(";\n") if s.strip()]
    return {re.search(r"^CREATE \w+(?: VIEW)? (\w+)", s)[1]: s for s in statements}  # type: ignore[index]


def schema(clickhouse: ClickHouse, database: str) -> dict[str, str]:
    """SHOW CREATE TABLE of every table of the database, the database name removed."""
    tables = clickhouse.rows(
        "SELECT name FROM system.tables WHERE database = {d:String} ORDER BY name", {"d": database}
    )
    shown: dict[str, str] = {}
    for (name,) in tables:
        ((ddl,),) = clickhouse.rows(f"SHOW CREATE TABLE {database}.{name}")
        shown[name] = ddl.replace(f"{database}.", "")
    return shown


@pytest.fixture
def fresh(clickhouse: ClickHouse) -> Iterator[ClickHouse]:
    """An empty database beside the session's (chdb allows one data path per process)."""
    clickhouse.command("DROP DATABASE IF EXISTS migrations_check")
    clickhouse.command("CREATE DATABASE migrations_check")
    client = ClickHouse(f"{clickhouse.dsn}/?database=migrations_check")
    assert client.rows("SELECT currentDatabase()") == [("migrations_check",)]
    yield client
    client.close()
    clickhouse.command("DROP DATABASE IF EXISTS migrations_check")


def test_every_module_is_a_numbered_documented_migration() -> None:
    found = discover()
    assert [m.version for m in found] == VERSIONS
    assert len({m.name for m in found}) == len(found)
    files = sorted(p.stem for p in Path(package.__file__).parent.glob("m*.py"))
    assert [m.module.rsplit(".", 1)[1] for m in found] == files
    for migration in found:
        assert migration.module.rsplit(".", 1)[1].startswith(f"m{migration.version:04d}_")
        module = __import__(migration.module, fromlist=["forwards"])
        assert (module.__doc__ or "").strip(), migration.module
        assert callable(module.forwards)


def test_the_session_database_records_every_module_once(clickhouse: ClickHouse) -> None:
    recorded = clickhouse.rows("SELECT version, name FROM schema_migrations ORDER BY version")
    assert recorded == [(m.version, m.name) for m in discover()]


def test_migrating_again_changes_nothing(clickhouse: ClickHouse) -> None:
    before = schema(clickhouse, "default")
    assert migrate(clickhouse, RETENTION_DAYS, ROLLUP_RETENTION_DAYS) == []
    assert clickhouse.rows("SELECT count() FROM schema_migrations") == [(len(VERSIONS),)]
    assert schema(clickhouse, "default") == before


def test_a_fresh_database_gets_the_schema_of_the_code_before_the_split(
    fresh: ClickHouse,
) -> None:
    assert migrate(fresh, RETENTION_DAYS, ROLLUP_RETENTION_DAYS) == VERSIONS
    assert schema(fresh, "migrations_check") == expected_schema()


def test_rolling_everything_back_then_forwards_again_gives_the_same_schema(
    fresh: ClickHouse,
) -> None:
    migrate(fresh, RETENTION_DAYS, ROLLUP_RETENTION_DAYS)
    assert rollback(fresh, RETENTION_DAYS, ROLLUP_RETENTION_DAYS, 4) == VERSIONS[:3:-1]
    assert list(schema(fresh, "migrations_check")) == [
        "licence_keys",
        "licences",
        "rule_catalogs",
        "schema_migrations",
        "sync_events",
    ]
    assert rollback(fresh, RETENTION_DAYS, ROLLUP_RETENTION_DAYS, 0) == VERSIONS[3::-1]
    assert list(schema(fresh, "migrations_check")) == ["schema_migrations"]
    assert fresh.rows("SELECT count() FROM schema_migrations FINAL") == [(0,)]
    assert migrate(fresh, RETENTION_DAYS, ROLLUP_RETENTION_DAYS) == VERSIONS
    assert schema(fresh, "migrations_check") == expected_schema()


def test_a_rollback_across_an_irreversible_migration_is_refused_before_anything_runs(
    fresh: ClickHouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    migrate(fresh, RETENTION_DAYS, ROLLUP_RETENTION_DAYS)
    modules = tuple(replace(m, backwards=None) if m.version == 30 else m for m in runner.discover())
    monkeypatch.setattr(runner, "discover", lambda: modules)
    with pytest.raises(IrreversibleMigration, match=r"\[30\]"):
        rollback(fresh, RETENTION_DAYS, ROLLUP_RETENTION_DAYS, 20)
    assert schema(fresh, "migrations_check") == expected_schema()


def _runs(client: ClickHouse) -> list[tuple[Any, ...]]:
    return client.rows(
        "SELECT licence_id, minute, connector_id, sync_id, sum(events), sum(errors), min(first_at),"
        " max(last_at) FROM run_minutes GROUP BY ALL ORDER BY ALL"
    )


def test_an_upgrade_fills_the_runs_of_the_last_8_days_once(fresh: ClickHouse) -> None:
    """A deployment older than m0011 holds events but no run_minutes: its fill gives what the
    view would have, for the last 8 days, and running it again doubles nothing."""
    migrate(fresh, RETENTION_DAYS, ROLLUP_RETENTION_DAYS)
    now = datetime.now(UTC)
    classify = Classifier(load_catalog()).classify
    lines = [
        *order_events(6, "recent", now - timedelta(days=2), minutes=3),
        *order_events(2, "old", now - timedelta(days=9)),
    ]
    events = [
        classify(event.model_copy(update={"sync_id": f"run-{n % 2}"}))
        for n, event in enumerate(lines)
    ]
    batch = ClassifiedBatch(licence_id="upgraded", received_at=now, events=events)
    asyncio.run(SyncEventsWriter(fresh).write(rows_of(batch)))
    by_the_view = _runs(fresh)
    assert sum(row[4] for row in by_the_view) == 8
    fresh.command("TRUNCATE TABLE run_minutes")

    context = MigrationContext(fresh, RETENTION_DAYS, ROLLUP_RETENTION_DAYS)
    fill = next(m for m in discover() if m.version == 11).forwards
    fill(context)
    recent = [row for row in by_the_view if row[1] >= now - timedelta(days=8)]
    assert _runs(fresh) == recent
    assert sum(row[4] for row in recent) == 6
    # Every other line is an error: run-1's, one a minute.
    assert {(row[3], row[5]) for row in recent} == {("run-0", 0), ("run-1", 1)}
    fill(context)
    assert _runs(fresh) == recent
