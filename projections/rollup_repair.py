"""Rollup minutes re-derived when a redelivery finds them short.

ClickHouse commits an insert's sync_events part and each materialized view's part one after the
other: a kill -9 between them leaves events stored but not counted. Their batch was not
committed, so it is delivered again, and the writer finds its events stored already (first insert
wins) and skips them. That is the moment to look: for the minutes of the events found stored,
every rollup must hold what its view's own SELECT gives over sync_events. A minute holding fewer
events is re-derived (deleted and inserted again from sync_events); the others are left alone,
those holding more too (rollups are kept longer than sync_events, whose old parts TTL drops).

Only the minutes of the redelivered events are checked, and only the writer owning their licence
(the consumer of its partition) checks them: no other insert can be in flight for those minutes,
so a difference is a crash's, never another writer's insert half done.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import datetime
from typing import Any

import structlog

from infra.clickhouse import ClickHouse
from projections.views import View, views

log = structlog.get_logger(__name__)

Minute = tuple[str, datetime]
"""(licence_id, start of the minute, UTC)."""
Scope = dict[str, Any]
"""The query parameters covering some minutes: their licences, first and last minute."""

_IN_RANGE = (
    "licence_id IN {licences:Array(String)}"
    " AND occurred_at >= {first:DateTime('UTC')}"
    " AND occurred_at < {last:DateTime('UTC')} + INTERVAL 1 MINUTE"
)
_ONE_MINUTE = (
    "licence_id = {licence:String} AND toStartOfMinute(occurred_at) = {minute:DateTime('UTC')}"
)


def _restricted(view: View, table: str, condition: str) -> str:
    """The view's SELECT over only the `table` rows meeting `condition`."""
    return re.sub(
        rf"\bFROM (\w+)\.{table}\b",
        rf"FROM (SELECT * FROM \1.{table} WHERE {condition})",
        view.select,
        count=1,
    )


def _counts(clickhouse: ClickHouse, sql: str, parameters: dict[str, Any]) -> dict[Minute, int]:
    return {(licence, minute): int(n) for licence, minute, n in clickhouse.rows(sql, parameters)}


def _short(
    clickhouse: ClickHouse, view: View, table: str, minutes: Collection[Minute], scope: Scope
) -> list[Minute]:
    expected = _counts(
        clickhouse,
        f"SELECT licence_id, minute, sum(events) FROM ({_restricted(view, table, _IN_RANGE)}) "
        "GROUP BY licence_id, minute",
        scope,
    )
    held = _counts(
        clickhouse,
        f"SELECT licence_id, minute, sum(events) FROM {view.target} "
        "WHERE licence_id IN {licences:Array(String)} "
        "AND minute BETWEEN {first:DateTime('UTC')} AND {last:DateTime('UTC')} "
        "GROUP BY licence_id, minute",
        scope,
    )
    # Only ever short: a rollup outlives sync_events (retention), so one holding more is right.
    return [key for key in minutes if held.get(key, 0) < expected.get(key, 0)]


def _rederive(clickhouse: ClickHouse, view: View, table: str, key: Minute) -> None:
    licence, minute = key
    parameters = {"licence": licence, "minute": minute}
    clickhouse.command(
        f"ALTER TABLE {view.target} DELETE WHERE licence_id = {{licence:String}} "
        "AND minute = {minute:DateTime('UTC')} SETTINGS mutations_sync = 1",
        parameters,
    )
    columns = ", ".join(f"`{name}`" for name in view.columns)
    clickhouse.command(
        f"INSERT INTO {view.target} ({columns}) "
        f"SELECT {columns} FROM ({_restricted(view, table, _ONE_MINUTE)})",
        parameters,
    )


def repair_rollup_minutes(clickhouse: ClickHouse, table: str, minutes: Collection[Minute]) -> int:
    """Re-derive, in every rollup `table` feeds, those of `minutes` holding fewer events than
    `table` gives; returns how many (rollup, licence, minute) were re-derived."""
    if not minutes:
        return 0
    scope: Scope = {
        "licences": sorted({licence for licence, _ in minutes}),
        "first": min(minute for _, minute in minutes),
        "last": max(minute for _, minute in minutes),
    }
    repaired = 0
    for view in views(clickhouse, table):
        for key in _short(clickhouse, view, table, minutes, scope):
            _rederive(clickhouse, view, table, key)
            log.warning(
                "rollup_minute_rederived",
                rollup=view.target,
                licence_id=key[0],
                minute=str(key[1]),
            )
            repaired += 1
    return repaired
