"""The control plane's entities (cloud configurations, remote actions, PC key resets, tickets).

Every revision of every control entity is a row: the history is the table. A replayed event
writes the same (licence, entity, id, revision) again, which the engine folds. Backwards drops
the table and the whole history.
"""

from __future__ import annotations

from projections.migrations.context import MigrationContext

NAME = "control_entities"


def forwards(context: MigrationContext) -> None:
    context.execute(
        """
                CREATE TABLE IF NOT EXISTS control_entities (
                    licence_id LowCardinality(String),
                    entity LowCardinality(String),
                    entity_id String,
                    revision UInt32,
                    status LowCardinality(String),
                    dedup_key String,
                    deleted Bool,
                    actor String,
                    updated_at DateTime64(3, 'UTC'),
                    body String CODEC(ZSTD(1))
                ) ENGINE = ReplacingMergeTree
                ORDER BY (licence_id, entity, entity_id, revision)
                """,
    )


def backwards(context: MigrationContext) -> None:
    context.execute("DROP TABLE IF EXISTS control_entities")
