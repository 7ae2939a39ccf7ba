"""The control plane's audit trail: who issued which command, and the entity before and after.

One row per command, keyed by its id so that a replay writes the same row again. Backwards
drops the table and the whole trail.
"""

from __future__ import annotations

from projections.migrations.context import MigrationContext

NAME = "control_audit"


def forwards(context: MigrationContext) -> None:
    context.execute(
        """
                CREATE TABLE IF NOT EXISTS control_audit (
                    licence_id LowCardinality(String),
                    issued_at DateTime64(3, 'UTC'),
                    command_id UUID,
                    kind LowCardinality(String),
                    actor String,
                    entity LowCardinality(String),
                    entity_id String,
                    revision UInt32,
                    before String CODEC(ZSTD(1)),
                    after String CODEC(ZSTD(1))
                ) ENGINE = ReplacingMergeTree
                ORDER BY (licence_id, issued_at, command_id)
                """,
    )


def backwards(context: MigrationContext) -> None:
    context.execute("DROP TABLE IF EXISTS control_audit")
