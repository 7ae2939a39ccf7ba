"""Counts per level per time bucket, from the per-minute rollup; shared by dashboard and trends.

Every point links to the report listing exactly the events it counts.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from pydantic import BaseModel

from query_api.filters import ReportFilters, iso
from query_api.scope import Statement
from query_api.windows import Window, floor_to
from schemas import Level


class Count(BaseModel):
    count: int
    report_url: str


class Point(BaseModel):
    at: datetime
    count: int
    report_url: str


def level_counts(base: ReportFilters, counts: dict[Level, int]) -> dict[Level, Count]:
    return {
        level: Count(
            count=counts.get(level, 0),
            report_url=base.model_copy(update={"level": [level]}).report_url(),
        )
        for level in Level
    }


def rollup_where(licence_id: str, filters: ReportFilters, window: Window) -> Statement:
    """The filters' rollup dimensions (level, origin, connector, operation) over the window."""
    where = ReportFilters(
        level=filters.level,
        origin=filters.origin,
        connector_id=filters.connector_id,
        operation=filters.operation,
    ).conditions(licence_id)
    where.add(
        "minute >= {since:DateTime('UTC')} AND minute < {until:DateTime('UTC')}",
        since=window.since,
        until=window.until,
    )
    return Statement(where.sql, where.parameters)


_SERIES = """
SELECT toStartOfInterval(minute, toIntervalMinute({{step:UInt32}})) AS bucket, level, sum(events)
FROM sync_minutes
WHERE {where}
GROUP BY bucket, level
"""


def series_statement(
    licence_id: str, filters: ReportFilters, window: Window, step: timedelta
) -> Statement:
    where = rollup_where(licence_id, filters, window)
    return Statement(
        _SERIES.format(where=where.sql),
        {**where.parameters, "step": int(step.total_seconds() // 60)},
    )


def bucket_count(window: Window, step: timedelta) -> int:
    """How many step-long buckets (counted from the Unix epoch) the window touches."""
    return -((floor_to(window.since, step) - window.until) // step)


def series(
    rows: list[tuple[Any, ...]], filters: ReportFilters, window: Window, step: timedelta
) -> dict[Level, list[Point]]:
    """Every bucket of the window for every level asked (zeros included), oldest first."""
    counts = {(bucket, Level(level)): n for bucket, level, n in rows}
    first = floor_to(window.since, step)
    buckets = [first + index * step for index in range(bucket_count(window, step))]
    levels = filters.level or list(Level)
    # Thousands of points: build the shared parts of their report URLs once.
    shared = filters.model_copy(update={"level": [], "since": None, "until": None}).report_url()
    joiner = "" if shared.endswith("?") else "&"
    bounds = {
        start: urlencode(
            {"since": iso(max(start, window.since)), "until": iso(min(start + step, window.until))}
        )
        for start in buckets
    }
    return {
        level: [
            Point(
                at=bucket,
                count=counts.get((bucket, level), 0),
                report_url=f"{shared}{joiner}level={level.value}&{bounds[bucket]}",
            )
            for bucket in buckets
        ]
        for level in levels
    }
