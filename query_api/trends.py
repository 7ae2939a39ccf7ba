"""GET /v1/trends: counts per level at a chosen interval over a window, from the rollup."""

from __future__ import annotations

import asyncio
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from infra.http_errors import invalid
from infra.http_state import ClickHouseDep
from licences.http import ReaderPrincipal
from query_api.filters import ReportFilters
from query_api.series import Point, bucket_count, series, series_statement
from query_api.timeline import TimeToSuccess, time_to_success, time_to_success_statement
from query_api.windows import Window, duration, window_params
from schemas import Level, Origin

router = APIRouter(tags=["trends"])

MAX_POINTS = 2_000


class Interval(StrEnum):
    MINUTE = "1m"
    FIVE_MINUTES = "5m"
    QUARTER = "15m"
    HOUR = "1h"
    SIX_HOURS = "6h"
    DAY = "1d"


class Trends(BaseModel):
    since: datetime
    until: datetime
    interval: Interval
    series: dict[Level, Annotated[list[Point], Field(max_length=MAX_POINTS)]]
    time_to_success: list[TimeToSuccess] = Field(
        description="p50 / p95 seconds from a reference's first sight to its first success, "
        "over the references first seen in the 7 and in the 30 days before `until` (the "
        "licence's every event, whatever the filters)"
    )


@router.get(
    "/v1/trends",
    response_model=Trends,
    summary=f"Counts per level over time (at most {MAX_POINTS} points a level)",
    description=f"At most {MAX_POINTS} points a level: a window and interval that would "
    "hold more answer 422 naming `interval` and the coarser intervals that fit.",
)
async def trends(
    principal: ReaderPrincipal,
    clickhouse: ClickHouseDep,
    window: Annotated[Window, Depends(window_params)],
    interval: Annotated[Interval, Query(description="1m | 5m | 15m | 1h | 6h | 1d")] = (
        Interval.HOUR
    ),
    level: Annotated[list[Level], Query(description="success | alert | error; repeatable")] = [],  # noqa: B006
    origin: Annotated[list[Origin], Query(description="cms | erp | connector; repeatable")] = [],  # noqa: B006
    connector_id: Annotated[list[str], Query(description="repeatable")] = [],  # noqa: B006
    operation: Annotated[list[str], Query(description="e.g. order.import; repeatable")] = [],  # noqa: B006
) -> Trends:
    step = duration(interval)
    if bucket_count(window, step) > MAX_POINTS:
        coarse = [i.value for i in Interval if bucket_count(window, duration(i)) <= MAX_POINTS]
        raise invalid(
            "query",
            "interval",
            f"more than {MAX_POINTS} points over this window: "
            + (f"use one of {', '.join(coarse)}" if coarse else "narrow since..until"),
            fr=f"plus de {MAX_POINTS} points sur cette période : "
            + (f"choisissez {', '.join(coarse)}" if coarse else "raccourcissez la période"),
        )
    filters = ReportFilters(
        level=level, origin=origin, connector_id=connector_id, operation=operation
    )
    statement = series_statement(principal.licence_id, filters, window, step)
    timing = time_to_success_statement(principal.licence_id, window.until)
    rows, (timing_row,) = await asyncio.gather(
        clickhouse.arows(statement.sql, statement.parameters),
        clickhouse.arows(timing.sql, timing.parameters),
    )
    return Trends(
        since=window.since,
        until=window.until,
        interval=interval,
        series=series(rows, filters, window, step),
        time_to_success=time_to_success(timing_row),
    )
