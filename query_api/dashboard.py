"""GET /v1/dashboard: a window (48 h by default) at a glance, read from the per-minute rollups.

Every figure carries the `report_url` listing exactly the events it counts.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from infra.http_state import ClickHouseDep
from licences.http import ReaderPrincipal
from query_api.filters import ReportFilters
from query_api.scope import Statement
from query_api.series import (
    Count,
    Point,
    level_counts,
    rollup_where,
    series,
    series_statement,
)
from query_api.windows import Window, window_params
from schemas import Level, Remediation

router = APIRouter(tags=["dashboard"])

HOUR = timedelta(hours=1)
TOP_GROUPS = 10


class LastSync(BaseModel):
    sync_id: str
    at: datetime
    report_url: str


class ConnectorSummary(BaseModel):
    connector_id: str
    last_event_at: datetime
    last_sync: LastSync | None
    levels: dict[Level, Count]


class ErrorGroup(BaseModel):
    fingerprint: str  # decimal UInt64: JSON numbers lose precision past 2**53
    level: Level
    events: Count
    last_event_at: datetime
    message: str
    rule_id: str
    remediation: Remediation


class Dashboard(BaseModel):
    since: datetime
    until: datetime
    levels: dict[Level, Count]
    connectors: list[ConnectorSummary]
    top_error_groups: list[ErrorGroup]
    hourly: dict[Level, list[Point]]


_CONNECTORS = """
SELECT connector_id, level, sum(events), max(last_event_at), max(last_sync_at),
       argMaxMerge(last_sync_id)
FROM sync_minutes
WHERE {where}
GROUP BY connector_id, level
ORDER BY connector_id, level
"""

# The message shown for a group is its latest one.
_GROUPS = """
SELECT fingerprint, level, sum(events) AS n, max(last_event_at),
       argMax(message, last_event_at), argMax(rule_id, last_event_at),
       argMax(remediation_hint, last_event_at), argMax(remediation_url, last_event_at),
       argMax(remediation_action, last_event_at)
FROM fingerprint_minutes
WHERE {where}
GROUP BY fingerprint, level
ORDER BY n DESC, fingerprint
LIMIT {top}
"""


def dashboard_statements(licence_id: str, window: Window) -> tuple[Statement, ...]:
    everything = ReportFilters()
    where = rollup_where(licence_id, everything, window)
    return (
        Statement(_CONNECTORS.format(where=where.sql), where.parameters),
        Statement(_GROUPS.format(where=where.sql, top=TOP_GROUPS), where.parameters),
        series_statement(licence_id, everything, window, HOUR),
    )


def _connectors(window: ReportFilters, rows: list[tuple[Any, ...]]) -> list[ConnectorSummary]:
    counts: dict[str, dict[Level, int]] = {}
    last_event: dict[str, datetime] = {}
    last_sync: dict[str, tuple[datetime, str]] = {}
    for connector_id, level, n, last_at, sync_at, sync_id in rows:
        counts.setdefault(connector_id, {})[Level(level)] = n
        last_event[connector_id] = max(last_event.get(connector_id, last_at), last_at)
        if sync_id:
            last_sync[connector_id] = max(
                last_sync.get(connector_id, (sync_at, sync_id)), (sync_at, sync_id)
            )
    summaries = []
    for connector_id, levels in counts.items():
        scoped = window.model_copy(update={"connector_id": [connector_id]})
        sync = last_sync.get(connector_id)
        summaries.append(
            ConnectorSummary(
                connector_id=connector_id,
                last_event_at=last_event[connector_id],
                last_sync=LastSync(
                    sync_id=sync[1],
                    at=sync[0],
                    report_url=scoped.model_copy(update={"sync_id": [sync[1]]}).report_url(),
                )
                if sync
                else None,
                levels=level_counts(scoped, levels),
            )
        )
    return summaries


def _groups(window: ReportFilters, rows: list[tuple[Any, ...]]) -> list[ErrorGroup]:
    return [
        ErrorGroup(
            fingerprint=str(fingerprint),
            level=level,
            events=Count(
                count=n,
                report_url=window.model_copy(
                    update={"level": [Level(level)], "fingerprint": [fingerprint]}
                ).report_url(),
            ),
            last_event_at=last_at,
            message=message,
            rule_id=rule_id,
            remediation=Remediation(hint=hint or None, url=url or None, action=action or None),
        )
        for fingerprint, level, n, last_at, message, rule_id, hint, url, action in rows
    ]


@router.get("/v1/dashboard", response_model=Dashboard, summary="A window (48 h) at a glance")
async def dashboard(
    principal: ReaderPrincipal,
    clickhouse: ClickHouseDep,
    window: Annotated[Window, Depends(window_params)],
) -> Dashboard:
    connector_rows, group_rows, series_rows = await asyncio.gather(
        *(
            clickhouse.arows(statement.sql, statement.parameters)
            for statement in dashboard_statements(principal.licence_id, window)
        )
    )
    scope = ReportFilters(since=window.since, until=window.until)
    totals: dict[Level, int] = {}
    for _, level, n, *_ in connector_rows:
        totals[Level(level)] = totals.get(Level(level), 0) + n
    return Dashboard(
        since=window.since,
        until=window.until,
        levels=level_counts(scope, totals),
        connectors=_connectors(scope, connector_rows),
        top_error_groups=_groups(scope, group_rows),
        hourly=series(series_rows, ReportFilters(), window, HOUR),
    )
