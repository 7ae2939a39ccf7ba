"""Each licence's last sync and last line, kept per part of sync_minutes: a projection.

The vendor's licences page and the silent licences show, for a page of licences, their last
sync and last line: a max per licence over their whole history in `sync_minutes`, millions of
rows at the fleet's size. The aggregate projection `licence_last` holds that max per licence and
part, so the same query reads a row per licence and part (docs/performance.md). ClickHouse
keeps it in step with every insert, merge, TTL drop and mutation (the rollup repair's delete),
and a rebuild's shadow copies it (`CREATE TABLE ... AS`). An AggregatingMergeTree merges rows,
so its projections must be rebuilt at each merge (`deduplicate_merge_projection_mode`).

Existing parts are materialized at once. On a cluster the projection and the setting belong to
the local tables only (projections/cluster.py). Backwards drops the projection and the setting.
"""

from __future__ import annotations

from projections.migrations.context import MigrationContext

NAME = "sync_minutes: each licence's last sync"


def forwards(context: MigrationContext) -> None:
    context.execute(
        "ALTER TABLE sync_minutes MODIFY SETTING deduplicate_merge_projection_mode = 'rebuild'",
        """
                ALTER TABLE sync_minutes ADD PROJECTION IF NOT EXISTS licence_last (
                    SELECT licence_id, max(last_sync_at), max(last_event_at) GROUP BY licence_id
                )
                """,
        "ALTER TABLE sync_minutes MATERIALIZE PROJECTION licence_last SETTINGS mutations_sync = 1",
    )


def backwards(context: MigrationContext) -> None:
    context.execute(
        "ALTER TABLE sync_minutes DROP PROJECTION IF EXISTS licence_last",
        "ALTER TABLE sync_minutes RESET SETTING deduplicate_merge_projection_mode",
    )
