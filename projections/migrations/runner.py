"""Finds the migration modules, applies the ones not applied yet, and rolls back on request.

A migration is a module `mNNNN_<what_it_does>.py` in this package: NNNN is its version (the
number recorded in `schema_migrations`), `NAME` the name recorded with it, `forwards(context)`
applies it, and `backwards(context)`, where it exists, reverses it. Versions are read from the
file names, sorted; numbers are grouped by tens (1-9 the events, 10 the rollups, 20-29 the
control plane, 30-39 the archive, 40-49 schema evolution and dead letters), so a gap between two
groups is expected. What is refused: two modules with one number, a module whose name looks like
a migration but does not follow the pattern, a module without a docstring, NAME or forwards.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType

import structlog

from infra.clickhouse import ClickHouse
from projections.cluster import ClusterDDL, check_cluster
from projections.migrations.context import MigrationContext

log = structlog.get_logger(__name__)

PACKAGE = "projections.migrations"
_MODULE = re.compile(r"^m(?P<version>\d{4})_[a-z0-9_]+$")
_NOT_MIGRATIONS = frozenset({"context", "runner"})

SCHEMA_MIGRATIONS = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version UInt32, name String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
        ) ENGINE = ReplacingMergeTree ORDER BY version
        """

Step = Callable[[MigrationContext], None]


class MigrationLayoutError(RuntimeError):
    """The migration modules break a rule of their layout (see this module's docstring)."""


class IrreversibleMigration(RuntimeError):
    """A rollback would have to cross a migration that has no `backwards`."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    module: str
    forwards: Step
    backwards: Step | None


def _migration(module: ModuleType, version: int) -> Migration:
    name = getattr(module, "NAME", None)
    forwards = getattr(module, "forwards", None)
    if not (module.__doc__ or "").strip():
        raise MigrationLayoutError(f"{module.__name__}: no docstring saying what it does and why")
    if not isinstance(name, str) or not name:
        raise MigrationLayoutError(f"{module.__name__}: no NAME")
    if not callable(forwards):
        raise MigrationLayoutError(f"{module.__name__}: no forwards(context)")
    backwards = getattr(module, "backwards", None)
    return Migration(version, name, module.__name__, forwards, backwards)


@cache
def discover() -> tuple[Migration, ...]:
    """Every migration module of the package (this file's folder), in version order."""
    found: dict[int, Migration] = {}
    for info in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if info.name in _NOT_MIGRATIONS:
            continue
        match = _MODULE.match(info.name)
        if match is None:
            raise MigrationLayoutError(f"{PACKAGE}.{info.name}: not named mNNNN_<what_it_does>")
        version = int(match["version"])
        if version == 0:
            raise MigrationLayoutError(f"{PACKAGE}.{info.name}: versions start at 1")
        if version in found:
            raise MigrationLayoutError(
                f"{PACKAGE}.{info.name}: version {version} is also {found[version].module}"
            )
        found[version] = _migration(importlib.import_module(f"{PACKAGE}.{info.name}"), version)
    return tuple(found[version] for version in sorted(found))


def _applied(clickhouse: ClickHouse) -> set[int]:
    return {row[0] for row in clickhouse.rows("SELECT version FROM schema_migrations FINAL")}


def migrate(
    clickhouse: ClickHouse,
    retention_days: int,
    rollup_retention_days: int,
    cluster: str | None = None,
) -> list[int]:
    """Apply the migrations not applied yet; return the versions applied now. With a cluster,
    every statement is rendered for it (projections/cluster.py)."""
    check_cluster(clickhouse, cluster)
    context = MigrationContext(
        clickhouse, retention_days, rollup_retention_days, ClusterDDL(cluster)
    )
    context.execute(SCHEMA_MIGRATIONS)
    applied = _applied(clickhouse)
    done: list[int] = []
    for migration in discover():
        if migration.version in applied:
            continue
        migration.forwards(context)
        clickhouse.command(
            "INSERT INTO schema_migrations (version, name) VALUES ({v:UInt32}, {n:String})",
            parameters={"v": migration.version, "n": migration.name},
        )
        log.info("migration_applied", version=migration.version, name=migration.name)
        done.append(migration.version)
    return done


def rollback(
    clickhouse: ClickHouse,
    retention_days: int,
    rollup_retention_days: int,
    to_version: int,
) -> list[int]:
    """Reverse the applied migrations above `to_version`, newest first; return their versions.

    Single node only: on a cluster `schema_migrations` is a Distributed table, which cannot be
    deleted from. Refused whole, before anything runs, if one of them has no `backwards`. What a
    backwards drops (a table, a column) takes its rows with it."""
    context = MigrationContext(clickhouse, retention_days, rollup_retention_days)
    applied = _applied(clickhouse)
    undo = [m for m in reversed(discover()) if m.version > to_version and m.version in applied]
    irreversible = [m.version for m in undo if m.backwards is None]
    if irreversible:
        raise IrreversibleMigration(f"migrations {irreversible} cannot be reversed")
    for migration in undo:
        assert migration.backwards is not None
        migration.backwards(context)
        clickhouse.command(
            "DELETE FROM schema_migrations WHERE version = {v:UInt32}",
            parameters={"v": migration.version},
        )
        log.info("migration_reversed", version=migration.version, name=migration.name)
    return [migration.version for migration in undo]
