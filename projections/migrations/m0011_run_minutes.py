"""Per-minute rollup of sync runs: what a connector's health reads instead of raw lines.

`run_minutes` holds, per licence, minute, connector and sync_id, the lines of that run in that
minute, its errors among them and its first and last line's time. A connector's health (its
runs of the last 7 days: starts, last end, whether the last failed) reads it, sorted by licence
and minute, from a few monthly parts instead of every daily part of sync_events. Kept as long as
raw events (`retention_days`): runs are reported within the raw window only.

Filled by a materialized view, exact on replays as the other rollups are (the writer inserts an
event_id only once), and mended by rollup_repair after a crash between parts (it has `minute`
and `events`). Created after m0010 so that an older deployment fills its last 8 days from
sync_events at once: health looks back 7 days, and a connector must not look silent for a week
after an upgrade. The fill adds only the runs' minutes not there yet, so running it again
doubles nothing. Backwards drops the view and the table.
"""

from __future__ import annotations

from projections.migrations.context import MigrationContext

NAME = "run_minutes"

FILLED_DAYS = 8

_SELECT = """
                SELECT
                    licence_id,
                    toStartOfMinute(occurred_at) AS minute,
                    connector_id,
                    sync_id,
                    count() AS events,
                    countIf(level = 'error') AS errors,
                    min(occurred_at) AS first_at,
                    max(occurred_at) AS last_at
                FROM sync_events
                WHERE sync_id != ''{since}
                GROUP BY licence_id, minute, connector_id, sync_id
"""


def forwards(context: MigrationContext) -> None:
    context.execute(
        f"""
                CREATE TABLE IF NOT EXISTS run_minutes (
                    licence_id LowCardinality(String),
                    minute DateTime('UTC'),
                    connector_id LowCardinality(String),
                    sync_id String,
                    events SimpleAggregateFunction(sum, UInt64),
                    errors SimpleAggregateFunction(sum, UInt64),
                    first_at SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
                    last_at SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
                ) ENGINE = AggregatingMergeTree
                PARTITION BY toYYYYMM(minute)
                ORDER BY (licence_id, minute, connector_id, sync_id)
                TTL minute + INTERVAL {int(context.retention_days)} DAY
                SETTINGS ttl_only_drop_parts = 1
                """,
        "CREATE MATERIALIZED VIEW IF NOT EXISTS run_minutes_mv TO run_minutes AS"
        + _SELECT.format(since=""),
    )
    context.fill(
        "INSERT INTO run_minutes"
        + _SELECT.format(
            since=f" AND occurred_at >= now() - INTERVAL {FILLED_DAYS} DAY"
            " AND (licence_id, toStartOfMinute(occurred_at), connector_id, sync_id) NOT IN ("
            " SELECT licence_id, minute, connector_id, sync_id FROM run_minutes"
            f" WHERE minute >= now() - INTERVAL {FILLED_DAYS + 1} DAY)"
        )
    )


def backwards(context: MigrationContext) -> None:
    context.execute("DROP VIEW IF EXISTS run_minutes_mv", "DROP TABLE IF EXISTS run_minutes")
