"""Rollups re-derived for the minutes a crash left short.

ClickHouse commits an insert's sync_events part and each materialized view's part one after the
other: a kill -9 between them leaves events stored but not counted, and their redelivery is then
skipped (first insert wins). So the process that writes ClickHouse checks, when it starts and
before its agents run, the minutes of the last events it stored: every rollup must hold what its
view's own SELECT gives over sync_events. A minute that does not is re-derived (deleted and
inserted again from sync_events); the others are left alone.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import structlog

from projections.clickhouse import ClickHouse
from projections.shadow import View, views
from projections.sync_events import TABLE

log = structlog.get_logger(__name__)

# Events accepted this long before the last one stored are checked: the batches in flight at a
# crash are among the newest.
RECENT_MINUTES = 10

_RECENT = f"""
SELECT groupUniqArray(licence_id), min(occurred_at), max(occurred_at) FROM {TABLE}
WHERE received_at >= (SELECT max(received_at) FROM {TABLE}) - INTERVAL {RECENT_MINUTES} MINUTE
"""
_IN_RANGE = (
    "licence_id IN {licences:Array(String)}"
    " AND occurred_at >= toStartOfMinute({first:DateTime64(3)})"
    " AND occurred_at < toStartOfMinute({last:DateTime64(3)}) + INTERVAL 1 MINUTE"
)
_ONE_MINUTE = (
    "licence_id = {licence:String} AND toStartOfMinute(occurred_at) = {minute:DateTime('UTC')}"
)


def _restricted(view: View, condition: str) -> str:
    """The view's SELECT over only the sync_events rows meeting `condition`."""
    return re.sub(
        rf"\bFROM (\w+)\.{TABLE}\b",
        rf"FROM (SELECT * FROM \1.{TABLE} WHERE {condition})",
        view.select,
        count=1,
    )


def _counts(clickhouse: ClickHouse, sql: str, parameters: dict[str, Any]) -> dict[Any, int]:
    return {(licence, minute): int(n) for licence, minute, n in clickhouse.rows(sql, parameters)}


def _short_minutes(clickhouse: ClickHouse, view: View, scope: dict[str, Any]) -> list[Any]:
    expected = _counts(
        clickhouse,
        f"SELECT licence_id, minute, sum(events) FROM ({_restricted(view, _IN_RANGE)}) "
        "GROUP BY licence_id, minute",
        scope,
    )
    held = _counts(
        clickhouse,
        f"SELECT licence_id, minute, sum(events) FROM {view.target} "
        "WHERE licence_id IN {licences:Array(String)} "
        "AND minute BETWEEN toStartOfMinute({first:DateTime64(3)}) "
        "AND toStartOfMinute({last:DateTime64(3)}) GROUP BY licence_id, minute",
        scope,
    )
    return [key for key, n in expected.items() if held.get(key) != n]


def _rederive(clickhouse: ClickHouse, view: View, licence: str, minute: datetime) -> None:
    parameters = {"licence": licence, "minute": minute}
    clickhouse.command(
        f"ALTER TABLE {view.target} DELETE WHERE licence_id = {{licence:String}} "
        "AND minute = {minute:DateTime('UTC')} SETTINGS mutations_sync = 1",
        parameters,
    )
    columns = ", ".join(f"`{name}`" for name in view.columns)
    clickhouse.command(
        f"INSERT INTO {view.target} ({columns}) "
        f"SELECT {columns} FROM ({_restricted(view, _ONE_MINUTE)})",
        parameters,
    )


def repair_recent_rollups(clickhouse: ClickHouse) -> int:
    """Re-derive the rollup minutes of the newest events that their rollups miss; returns how
    many (rollup, licence, minute) were re-derived. Run before any projection writes."""
    licences, first, last = clickhouse.rows(_RECENT)[0]
    if not licences:
        return 0
    scope = {"licences": list(licences), "first": first, "last": last}
    repaired = 0
    for view in views(clickhouse, TABLE):
        for licence, minute in _short_minutes(clickhouse, view, scope):
            _rederive(clickhouse, view, licence, minute)
            log.warning(
                "rollup_minute_rederived",
                rollup=view.target,
                licence_id=licence,
                minute=str(minute),
            )
            repaired += 1
    return repaired
