"""Versioned, idempotent DDL, the same on chdb and on a ClickHouse server: one module per
migration (`mNNNN_<what_it_does>.py`), run by runner.py.

Applied by `ero migrate` and at every start; a migration runs once, and each statement is
written so that running it again changes nothing.
"""

from __future__ import annotations

from projections.migrations.context import MigrationContext
from projections.migrations.runner import (
    SCHEMA_MIGRATIONS,
    IrreversibleMigration,
    Migration,
    MigrationLayoutError,
    discover,
    migrate,
    rollback,
)

__all__ = [
    "SCHEMA_MIGRATIONS",
    "IrreversibleMigration",
    "Migration",
    "MigrationContext",
    "MigrationLayoutError",
    "discover",
    "migrate",
    "rollback",
]
