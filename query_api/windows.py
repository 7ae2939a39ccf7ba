"""Time windows of the dashboard and trends: a preset or custom bounds, on whole minutes.

Rollups count per minute, so a window on whole minutes is answered exactly from them, and the
same bounds in a report URL list exactly the events counted.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated

from fastapi import Query
from pydantic import BaseModel, ConfigDict

from query_api.filters import check_range
from query_api.instants import EARLIEST, Instant, instant_query

MINUTE = timedelta(minutes=1)


class Preset(StrEnum):
    HOUR = "1h"
    DAY = "24h"
    TWO_DAYS = "48h"
    WEEK = "7d"
    MONTH = "30d"


_UNITS = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}


def duration(name: str) -> timedelta:
    """A preset's or an interval's name ('15m', '48h', '7d') as a timedelta."""
    return int(name[:-1]) * _UNITS[name[-1]]


class Window(BaseModel):
    model_config = ConfigDict(frozen=True)

    since: datetime
    until: datetime


def floor_to(value: datetime, step: timedelta) -> datetime:
    """Start of the step-long bucket holding value, buckets counted from the Unix epoch (UTC)."""
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    return epoch + (value.astimezone(UTC) - epoch) // step * step


def _ceil_minute(value: datetime) -> datetime:
    floor = floor_to(value, MINUTE)
    return floor if floor == value else floor + MINUTE


def window_of(since: datetime | None, until: datetime | None, length: timedelta) -> Window:
    """[since, until) widened to whole minutes; without until, up to now; without since,
    `length` before the end (never before the earliest instant a query accepts)."""
    check_range(since, until)
    end = _ceil_minute(until or datetime.now(UTC))
    start = floor_to(since, MINUTE) if since else max(end - length, EARLIEST)
    check_range(start, end)
    return Window(since=start, until=end)


async def window_params(
    window: Annotated[
        Preset, Query(description="1h | 24h | 48h | 7d | 30d; ignored when since is given")
    ] = Preset.TWO_DAYS,
    since: Annotated[Instant | None, instant_query("custom start, rounded down to the minute")] = (
        None
    ),
    until: Annotated[
        Instant | None, instant_query("custom end, rounded up to the minute; default: now")
    ] = None,
) -> Window:
    return window_of(since, until, duration(window))
