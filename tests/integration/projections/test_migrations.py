"""The migration modules: their layout, what the runner records, and the schema they produce,
checked against the schema the single-function migrations produced before the split."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from infra.clickhouse import ClickHouse
from projections import migrations as package
from projections.migrations import IrreversibleMigration, discover, migrate, rollback, runner

FIXTURE = Path(__file__).parent / "fixtures" / "migrated_schema.sql"
# The versions the single-function migrations recorded (grouped by tens: the gaps are theirs).
VERSIONS = [1, 2, 3, 4, 10, 20, 21, 30, 31, 40, 41, 42, 60]
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
