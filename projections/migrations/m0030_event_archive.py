"""The archive of raw records that `ero rebuild --from-archive` re-derives every table from.

One row per raw-topic record, its bytes as the log held them, kept as long as raw events. The
key survives a memory-only broker restarting its offsets at 0: the licence, the accept time and
a hash of the bytes; log coordinates are kept for tracing only. A redelivered record has the
same key (the writer skips it; the engine folds any slip).

Backwards drops the table: after it nothing can be rebuilt from the archive.
"""

from __future__ import annotations

from projections.migrations.context import MigrationContext

NAME = "event_archive"


def forwards(context: MigrationContext) -> None:
    context.execute(
        f"""
                CREATE TABLE IF NOT EXISTS event_archive (
                    licence_id LowCardinality(String),
                    received_at DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
                    record_hash UInt64,
                    log_topic LowCardinality(String),
                    log_partition UInt32,
                    log_offset UInt64,
                    events UInt32,
                    record String CODEC(ZSTD(3)),
                    archived_at DateTime64(3, 'UTC') DEFAULT now64(3)
                ) ENGINE = ReplacingMergeTree
                PARTITION BY toDate(received_at)
                ORDER BY (licence_id, received_at, record_hash)
                TTL toDateTime(received_at) + INTERVAL {int(context.retention_days)} DAY
                SETTINGS ttl_only_drop_parts = 1
                """,
    )


def backwards(context: MigrationContext) -> None:
    context.execute("DROP TABLE IF EXISTS event_archive")
