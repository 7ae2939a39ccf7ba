"""SyncEvent v2: how long the synchronised operation took, in milliseconds.

NULL on v1 lines: "not measured" is not "took 0 ms". Backwards drops the column and the
durations of stored events.
"""

from __future__ import annotations

from projections.migrations.context import MigrationContext

NAME = "SyncEvent v2: duration_ms"


def forwards(context: MigrationContext) -> None:
    context.execute(
        """
                ALTER TABLE sync_events
                ADD COLUMN IF NOT EXISTS duration_ms Nullable(UInt32) AFTER config_id
                """,
    )


def backwards(context: MigrationContext) -> None:
    context.execute("ALTER TABLE sync_events DROP COLUMN IF EXISTS duration_ms")
