"""Dead letters: every rejected line, queryable, with why it was rejected and its replay.

One row per letter revision, the newest wins (a replay or a re-check writes a new revision of
the same letter_id). Kept as long as raw events: a line older than that could not be replayed
anyway. Backwards drops the table and every letter in it.
"""

from __future__ import annotations

from projections.migrations.context import MigrationContext

NAME = "dead_letters"


def forwards(context: MigrationContext) -> None:
    context.execute(
        f"""
                CREATE TABLE IF NOT EXISTS dead_letters (
                    letter_id UUID,
                    licence_id LowCardinality(String),
                    connector_id LowCardinality(String),
                    received_at DateTime64(3, 'UTC'),
                    source String,
                    line UInt32,
                    reasons Array(Tuple(field String, reason String)),
                    raw String CODEC(ZSTD(3)),
                    status Enum8('pending' = 1, 'replayed' = 2),
                    replayed_at Nullable(DateTime64(3, 'UTC')),
                    replayed_event_ids Array(UUID),
                    revised_at DateTime64(3, 'UTC')
                ) ENGINE = ReplacingMergeTree(revised_at)
                ORDER BY letter_id
                TTL toDateTime(received_at) + INTERVAL {int(context.retention_days)} DAY
                """,
    )


def backwards(context: MigrationContext) -> None:
    context.execute("DROP TABLE IF EXISTS dead_letters")
