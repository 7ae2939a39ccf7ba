"""A connector's health, computed at query time from its sync runs of the last 7 days.

- failing: its last run (the latest to start) has an error line;
- silent: no line of any run for longer than max(3 x its median interval between run starts,
  30 min); with fewer than MIN_RUNS runs in 7 days there is no rhythm to learn, and it is
  silent after a fixed 24 h (and never late);
- late: more than 1.5 x its median interval without a line of a run, not yet silent;
- ok otherwise.

One query per dashboard over the licence's runs of the last 7 days (whole minutes), for every
connector heard from in them (at most MAX_CONNECTORS), run beside the dashboard's other queries.
It reads the per-minute rollup of runs `run_minutes` (sorted by licence and minute, monthly
parts), not raw lines spread over sync_events' daily parts (docs/performance.md).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from query_api.scope import Conditions, Statement

LOOKBACK = timedelta(days=7)
MAX_CONNECTORS = 1000
MIN_RUNS = 3
FIXED_INTERVAL = timedelta(hours=24)
SILENT_FLOOR = timedelta(minutes=30)
SILENT_FACTOR = 3
LATE_FACTOR = 1.5


class HealthState(StrEnum):
    OK = "ok"
    LATE = "late"
    SILENT = "silent"
    FAILING = "failing"


class ConnectorHealth(BaseModel):
    state: HealthState = Field(
        description="failing: last run failed; silent: no run for max(3 x expected_every, "
        "30 min) (24 h with fewer than 3 runs in 7 days); late: over 1.5 x expected_every; "
        "else ok"
    )
    last_run_at: datetime | None = Field(description="last line of a run; null: none in 7 days")
    expected_every_seconds: int = Field(
        description="median interval between run starts over 7 days; 86400 with fewer than 3 runs"
    )


# Runs first (one row per sync_id), then per connector: the sorted starts give the intervals.
_HEALTH = """
SELECT connector_id, count(), max(ended), argMax(failed, started),
       arrayReduce('quantileExact(0.5)',
                   arrayPopFront(arrayDifference(arraySort(groupArray(toUnixTimestamp64Milli(started))))))
FROM (
    SELECT connector_id, sync_id, min(first_at) AS started, max(last_at) AS ended,
           sum(errors) > 0 AS failed
    FROM run_minutes
    WHERE {where}
    GROUP BY connector_id, sync_id
)
GROUP BY connector_id
LIMIT {max_connectors:UInt32}
"""


def health_statement(licence_id: str, now: datetime) -> Statement:
    where = Conditions(licence_id).add(
        "minute >= toStartOfMinute({h_since:DateTime64(3, 'UTC')})"
        " AND minute <= {h_now:DateTime64(3, 'UTC')}",
        h_since=now - LOOKBACK,
        h_now=now,
    )
    return Statement(
        _HEALTH.replace("{where}", where.sql),
        {**where.parameters, "max_connectors": MAX_CONNECTORS},
    )


def health_of(
    runs: int, last_run_at: datetime | None, last_failed: bool, median_ms: float, now: datetime
) -> ConnectorHealth:
    regular = runs >= MIN_RUNS and median_ms > 0
    expected = timedelta(milliseconds=median_ms) if regular else FIXED_INTERVAL
    silent_after = max(SILENT_FACTOR * expected, SILENT_FLOOR) if regular else FIXED_INTERVAL
    quiet = now - last_run_at if last_run_at else None
    if last_run_at and last_failed:
        state = HealthState.FAILING
    elif quiet is None or quiet > silent_after:
        state = HealthState.SILENT
    elif regular and quiet > LATE_FACTOR * expected:
        state = HealthState.LATE
    else:
        state = HealthState.OK
    return ConnectorHealth(
        state=state,
        last_run_at=last_run_at,
        expected_every_seconds=round(expected.total_seconds()),
    )


def healths(
    rows: list[tuple[Any, ...]], connector_ids: list[str], now: datetime
) -> dict[str, ConnectorHealth]:
    """Each connector's health; one without a run in 7 days is silent."""
    found = {row[0]: row[1:] for row in rows}
    result = {}
    for connector_id in connector_ids:
        runs, last_at, failed, median = found.get(connector_id, (0, None, False, 0.0))
        result[connector_id] = health_of(runs, last_at, bool(failed), float(median or 0), now)
    return result
