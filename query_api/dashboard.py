"""GET /v1/dashboard: the last 48 hours, each count linked to the report that lists it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from ero.services import Services, services
from licences.http import ReaderPrincipal
from query_api.filters import ReportFilters
from schemas import Level

router = APIRouter(tags=["dashboard"])

WINDOW = timedelta(hours=48)


class Count(BaseModel):
    count: int
    report_url: str


class ConnectorSummary(BaseModel):
    connector_id: str
    last_event_at: datetime
    levels: dict[Level, Count]


class Dashboard(BaseModel):
    since: datetime
    until: datetime
    levels: dict[Level, Count]
    connectors: list[ConnectorSummary]


_QUERY = """
SELECT connector_id, level, count(), max(occurred_at)
FROM sync_events FINAL
WHERE {where}
GROUP BY connector_id, level
ORDER BY connector_id, level
"""


def _counts(base: ReportFilters, counts: dict[Level, int]) -> dict[Level, Count]:
    return {
        level: Count(
            count=counts.get(level, 0),
            report_url=base.model_copy(update={"level": [level]}).report_url(),
        )
        for level in Level
    }


@router.get("/v1/dashboard", response_model=Dashboard, summary="The last 48 hours at a glance")
async def dashboard(
    principal: ReaderPrincipal, svc: Annotated[Services, Depends(services)]
) -> Dashboard:
    now = datetime.now(UTC)
    # Fixed bounds, so that every report_url lists exactly the events counted here.
    until = now.replace(microsecond=now.microsecond // 1000 * 1000) + timedelta(milliseconds=1)
    window = ReportFilters(since=until - WINDOW, until=until)
    where = window.conditions(principal.licence_id)
    rows = await svc.clickhouse.arows(_QUERY.format(where=where.sql), where.parameters)

    totals: dict[Level, int] = {}
    per_connector: dict[str, dict[Level, int]] = {}
    last_event: dict[str, datetime] = {}
    for connector_id, level_name, count, last_at in rows:
        level = Level(level_name)
        totals[level] = totals.get(level, 0) + count
        per_connector.setdefault(connector_id, {})[level] = count
        last_at = last_at.replace(tzinfo=UTC)
        last_event[connector_id] = max(last_event.get(connector_id, last_at), last_at)
    return Dashboard(
        since=window.since or until,
        until=until,
        levels=_counts(window, totals),
        connectors=[
            ConnectorSummary(
                connector_id=connector_id,
                last_event_at=last_event[connector_id],
                levels=_counts(window.model_copy(update={"connector_id": [connector_id]}), counts),
            )
            for connector_id, counts in per_connector.items()
        ],
    )
