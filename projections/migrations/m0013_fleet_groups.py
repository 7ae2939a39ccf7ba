"""The fleet's error groups per day, hour and minute, kept in each part of fingerprint_minutes.

The vendor's console ranks error groups by licences affected over 24 hours or 7 days: every
(licence, minute, group) row of the window, merged by group, 1.7 M rows over 7 days at the
fleet's size. Three aggregate projections hold each part's rows per group and day
(`fleet_days`), hour (`fleet_hours`) and minute (`fleet_minutes`), with the licences and
connectors affected as sets, so that a window reads its whole days from the first, the hours
either side of them from the second and the minutes left from the third
(query_api/fleet_windows.py).

ClickHouse keeps them in step with every insert, merge, TTL drop and mutation (the rollup
repair's delete), and a rebuild's shadow copies them (`CREATE TABLE ... AS`); an
AggregatingMergeTree merges rows, so its projections are rebuilt at each merge
(`deduplicate_merge_projection_mode`). The per-licence readers filter on `licence_id`, which
the projections do not hold, so they keep reading the table. Existing parts are materialized at
once; on a cluster the projections and the setting belong to the local tables only
(projections/cluster.py). Backwards drops the projections and the setting.
"""

from __future__ import annotations

from projections.migrations.context import MigrationContext

NAME = "fingerprint_minutes: the fleet's groups per day, hour and minute"

# The partial aggregates of query_api/fleet_windows.py, exactly: a projection serves a query
# only when it holds the query's aggregates.
AGGREGATES = (
    "any(operation)",
    "any(origin)",
    "max(level)",
    "sum(events)",
    "groupUniqArray(licence_id)",
    "groupUniqArrayMerge(connectors)",
    "min(first_event_at)",
    "max(last_event_at)",
    "any(template)",
    "argMax(message, last_event_at)",
    "argMax((rule_id, remediation_hint, remediation_hint_en, remediation_url, remediation_action),"
    " last_event_at)",
)

# A row holds its group's licence and connector sets: granules of the table's 10 MiB would hold
# a month of hours, read whole for a window's few hours at either end.
GRANULE_BYTES = 256 * 1024

PROJECTIONS = {
    "fleet_days": "toStartOfDay(minute)",
    "fleet_hours": "toStartOfHour(minute)",
    "fleet_minutes": "minute",
}


def forwards(context: MigrationContext) -> None:
    context.execute(
        "ALTER TABLE fingerprint_minutes "
        "MODIFY SETTING deduplicate_merge_projection_mode = 'rebuild'",
        *(
            f"ALTER TABLE fingerprint_minutes ADD PROJECTION IF NOT EXISTS {name} ("
            f" SELECT {key}, fingerprint, {', '.join(AGGREGATES)} GROUP BY {key}, fingerprint)"
            f" WITH SETTINGS (index_granularity_bytes = {GRANULE_BYTES})"
            for name, key in PROJECTIONS.items()
        ),
        *(
            f"ALTER TABLE fingerprint_minutes MATERIALIZE PROJECTION {name} "
            "SETTINGS mutations_sync = 1"
            for name in PROJECTIONS
        ),
    )


def backwards(context: MigrationContext) -> None:
    context.execute(
        *(f"ALTER TABLE fingerprint_minutes DROP PROJECTION IF EXISTS {n}" for n in PROJECTIONS),
        "ALTER TABLE fingerprint_minutes RESET SETTING deduplicate_merge_projection_mode",
    )
