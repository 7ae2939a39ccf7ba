"""The classified sync events, one row per connector report line: what every read serves.

Keyed so that a replay reproduces the same key: the event's own time and id, never ingest time.
The writer inserts an event_id once (first insert wins); the engine still folds any duplicate
that slipped past it (in the same day partition, since the partition derives from the key) when
parts merge. Sorted by licence then time: every read is one licence over a time range, and
reports page newest first in exactly this order. Rows older than `retention_days` are dropped a
whole day partition at a time.

Skip indexes: `q` words are substrings of the folded message (LIKE '%w%'), served by n-grams; a
reference is looked up exactly (bloom filter) or by prefix (LIKE 'p%', n-grams).

Backwards drops the table and every event in it.
"""

from __future__ import annotations

from projections.migrations.context import MigrationContext

NAME = "sync_events"


def forwards(context: MigrationContext) -> None:
    context.execute(
        f"""
                CREATE TABLE IF NOT EXISTS sync_events (
                    licence_id LowCardinality(String),
                    connector_id LowCardinality(String),
                    event_id UUID,
                    occurred_at DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
                    received_at DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
                    operation LowCardinality(String),
                    reference String CODEC(ZSTD(1)),
                    status LowCardinality(String),
                    code LowCardinality(String),
                    message String CODEC(ZSTD(3)),
                    message_folded String CODEC(ZSTD(3)),
                    sync_id String CODEC(ZSTD(1)),
                    config_id String CODEC(ZSTD(1)),
                    attributes Map(String, String) CODEC(ZSTD(1)),
                    level Enum8('success' = 1, 'alert' = 2, 'error' = 3),
                    origin Enum8('cms' = 1, 'erp' = 2, 'connector' = 3),
                    rule_id LowCardinality(String),
                    rule_version UInt32,
                    fingerprint UInt64,
                    remediation_hint String CODEC(ZSTD(3)),
                    remediation_url LowCardinality(String),
                    remediation_action LowCardinality(String),
                    version UInt64,
                    INDEX idx_message message_folded TYPE ngrambf_v1(3, 65536, 2, 0) GRANULARITY 1,
                    INDEX idx_reference reference TYPE bloom_filter(0.01) GRANULARITY 1,
                    INDEX idx_reference_prefix reference TYPE ngrambf_v1(3, 8192, 2, 0)
                        GRANULARITY 1,
                    INDEX idx_fingerprint fingerprint TYPE bloom_filter(0.01) GRANULARITY 1
                ) ENGINE = ReplacingMergeTree(version)
                PARTITION BY toDate(occurred_at)
                ORDER BY (licence_id, occurred_at, event_id)
                TTL toDateTime(occurred_at) + INTERVAL {int(context.retention_days)} DAY
                SETTINGS ttl_only_drop_parts = 1
                """,
    )


def backwards(context: MigrationContext) -> None:
    context.execute("DROP TABLE IF EXISTS sync_events")
