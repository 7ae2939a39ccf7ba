"""Per-minute rollups of sync_events, filled by materialized views: what dashboards read.

`sync_minutes` counts events per licence, minute, connector, level, origin and operation, with
the last event and the last sync: the dashboard and trends read it instead of raw rows.
`fingerprint_minutes` counts alerts and errors per error group (fingerprint), with a sample
message and its remediation: the dashboard's top error groups, /v1/groups (per licence and
fleet-wide) and support tickets read it. Both outlive raw events (`rollup_retention_days`).

The views count every row inserted into sync_events; exactness on replays comes from the
writer, which inserts an event_id only the first time (projections/sync_events.py), so a replay
never reaches the views. Created after m0003 and m0004: the error groups read
remediation_hint_en and message_template.

Backwards drops the views and the rollups (their counts are lost; recomputing them means
reinserting the events).
"""

from __future__ import annotations

from projections.migrations.context import MigrationContext

NAME = "rollups"


def forwards(context: MigrationContext) -> None:
    context.execute(
        f"""
                CREATE TABLE IF NOT EXISTS sync_minutes (
                    licence_id LowCardinality(String),
                    minute DateTime('UTC'),
                    connector_id LowCardinality(String),
                    level Enum8('success' = 1, 'alert' = 2, 'error' = 3),
                    origin Enum8('cms' = 1, 'erp' = 2, 'connector' = 3),
                    operation LowCardinality(String),
                    events SimpleAggregateFunction(sum, UInt64),
                    last_event_at SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
                    last_sync_at SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
                    last_sync_id AggregateFunction(argMax, String, DateTime64(3, 'UTC'))
                ) ENGINE = AggregatingMergeTree
                PARTITION BY toYYYYMM(minute)
                ORDER BY (licence_id, minute, connector_id, level, origin, operation)
                TTL minute + INTERVAL {int(context.rollup_retention_days)} DAY
                SETTINGS ttl_only_drop_parts = 1
                """,
        # Events without a sync_id sort at the epoch, so they never win "last sync".
        """
                CREATE MATERIALIZED VIEW IF NOT EXISTS sync_minutes_mv TO sync_minutes AS
                SELECT
                    licence_id,
                    toStartOfMinute(occurred_at) AS minute,
                    connector_id,
                    level,
                    origin,
                    operation,
                    count() AS events,
                    max(occurred_at) AS last_event_at,
                    max(if(sync_id = '', toDateTime64(0, 3, 'UTC'), occurred_at)) AS last_sync_at,
                    argMaxState(sync_id, if(sync_id = '', toDateTime64(0, 3, 'UTC'), occurred_at))
                        AS last_sync_id
                FROM sync_events
                GROUP BY licence_id, minute, connector_id, level, origin, operation
                """,
        f"""
                CREATE TABLE IF NOT EXISTS fingerprint_minutes (
                    licence_id LowCardinality(String),
                    minute DateTime('UTC'),
                    fingerprint UInt64,
                    level Enum8('success' = 1, 'alert' = 2, 'error' = 3),
                    -- operation and origin are part of the fingerprint: any() is exact.
                    operation SimpleAggregateFunction(any, LowCardinality(String)),
                    origin SimpleAggregateFunction(
                        any, Enum8('cms' = 1, 'erp' = 2, 'connector' = 3)
                    ),
                    template SimpleAggregateFunction(any, String) CODEC(ZSTD(3)),
                    connectors AggregateFunction(groupUniqArray, String),
                    events SimpleAggregateFunction(sum, UInt64),
                    first_event_at SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
                    last_event_at SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
                    message SimpleAggregateFunction(anyLast, String) CODEC(ZSTD(3)),
                    rule_id SimpleAggregateFunction(anyLast, String),
                    remediation_hint SimpleAggregateFunction(anyLast, String) CODEC(ZSTD(3)),
                    remediation_hint_en SimpleAggregateFunction(anyLast, String) CODEC(ZSTD(3)),
                    remediation_url SimpleAggregateFunction(anyLast, String),
                    remediation_action SimpleAggregateFunction(anyLast, String)
                ) ENGINE = AggregatingMergeTree
                PARTITION BY toYYYYMM(minute)
                ORDER BY (licence_id, minute, fingerprint, level)
                TTL minute + INTERVAL {int(context.rollup_retention_days)} DAY
                SETTINGS ttl_only_drop_parts = 1
                """,
        """
                CREATE MATERIALIZED VIEW IF NOT EXISTS fingerprint_minutes_mv
                TO fingerprint_minutes AS
                SELECT
                    licence_id,
                    toStartOfMinute(occurred_at) AS minute,
                    fingerprint,
                    level,
                    any(operation) AS operation,
                    any(origin) AS origin,
                    any(message_template) AS template,
                    groupUniqArrayState(toString(connector_id)) AS connectors,
                    count() AS events,
                    min(occurred_at) AS first_event_at,
                    max(occurred_at) AS last_event_at,
                    anyLast(message) AS message,
                    anyLast(toString(rule_id)) AS rule_id,
                    anyLast(remediation_hint) AS remediation_hint,
                    anyLast(remediation_hint_en) AS remediation_hint_en,
                    anyLast(toString(remediation_url)) AS remediation_url,
                    anyLast(toString(remediation_action)) AS remediation_action
                FROM sync_events
                WHERE level != 'success'
                GROUP BY licence_id, minute, fingerprint, level
                """,
    )


def backwards(context: MigrationContext) -> None:
    # Views first: a view left without its target would fail every insert into sync_events.
    context.execute(
        "DROP VIEW IF EXISTS fingerprint_minutes_mv",
        "DROP TABLE IF EXISTS fingerprint_minutes",
        "DROP VIEW IF EXISTS sync_minutes_mv",
        "DROP TABLE IF EXISTS sync_minutes",
    )
