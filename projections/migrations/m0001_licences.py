"""Licences and the hashes of their keys: who may send events and who may read them.

`licences` keeps the newest row of a licence (ReplacingMergeTree on updated_at). Only hashes of
keys are stored; the key itself is shown once, at creation. Backwards drops both tables and
every licence and key in them.
"""

from __future__ import annotations

from projections.migrations.context import MigrationContext

NAME = "licences"


def forwards(context: MigrationContext) -> None:
    context.execute(
        """
                CREATE TABLE IF NOT EXISTS licences (
                    licence_id String,
                    name String,
                    status Enum8('active' = 1, 'expired' = 2, 'revoked' = 3),
                    created_at DateTime64(3, 'UTC'),
                    updated_at DateTime64(3, 'UTC')
                ) ENGINE = ReplacingMergeTree(updated_at)
                ORDER BY licence_id
                """,
        """
                CREATE TABLE IF NOT EXISTS licence_keys (
                    key_hash String,
                    licence_id String,
                    kind Enum8('connector' = 1, 'reader' = 2),
                    created_at DateTime64(3, 'UTC')
                ) ENGINE = ReplacingMergeTree(created_at)
                ORDER BY key_hash
                """,
    )


def backwards(context: MigrationContext) -> None:
    context.execute("DROP TABLE IF EXISTS licence_keys", "DROP TABLE IF EXISTS licences")
