"""Error groups: identical problems (same fingerprint) counted together.

Readers see their licence's groups; vendor operators see the fleet's, ranked by licences
affected ("which ERP or CMS change broke 300 shops today"). Both read the per-minute rollup
`fingerprint_minutes`, as the dashboard's top groups do; windows are whole minutes.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from infra.clickhouse import ClickHouse
from infra.http_state import ClickHouseDep
from licences.http import Operator, ReaderPrincipal
from query_api.filters import ReportFilters
from query_api.instants import Instant, instant_query
from query_api.scope import Conditions
from query_api.windows import window_of
from schemas import Level, Origin, Remediation
from schemas.actions import Suggestion, suggestion

router = APIRouter(tags=["error groups"])
operator_router = APIRouter(tags=["operators"], dependencies=[Operator])

MAX_GROUPS = 200
CONNECTOR_SAMPLE = 20


class ErrorGroup(BaseModel):
    fingerprint: str  # decimal UInt64: JSON numbers lose precision past 2**53
    operation: str
    origin: Origin
    level: Level
    count: int
    connectors_affected: int
    connectors: list[str] = Field(
        max_length=CONNECTOR_SAMPLE,
        description=f"the first {CONNECTOR_SAMPLE} affected connectors, alphabetically",
    )
    first_seen: datetime
    last_seen: datetime
    template: str
    sample_message: str
    rule_id: str
    remediation: Remediation
    suggested_action: Suggestion | None = Field(
        description="the button of `remediation.action`, labelled in both languages; null "
        "when the rule suggests none"
    )
    report_url: str | None = None


class FleetErrorGroup(ErrorGroup):
    licences_affected: int


class GroupPage(BaseModel):
    since: datetime
    until: datetime
    groups: list[ErrorGroup] = Field(max_length=MAX_GROUPS)


class FleetGroupPage(BaseModel):
    since: datetime
    until: datetime
    groups: list[FleetErrorGroup] = Field(max_length=MAX_GROUPS)


_COLUMNS = """
    fingerprint, any(operation), any(origin), max(level), sum(events) AS count,
    length(groupUniqArrayMerge(connectors)),
    arraySlice(arraySort(groupUniqArrayMerge(connectors)), 1, {sample:UInt32}),
    min(first_event_at), max(last_event_at), any(template),
    argMax(message, last_event_at),
    argMax((rule_id, remediation_hint, remediation_hint_en, remediation_url, remediation_action),
           last_event_at)
"""
_IN_WINDOW = "minute >= {since:DateTime} AND minute < {until:DateTime}"


def _bounds(since: datetime, until: datetime) -> dict[str, Any]:
    return {"since": since, "until": until, "sample": CONNECTOR_SAMPLE}


def _group(row: tuple[Any, ...]) -> dict[str, Any]:
    fp, operation, origin, level, count, affected, connectors, first, last, tpl, sample = row[:11]
    rule_id, hint, hint_en, url, action = row[11]
    return {
        "fingerprint": str(fp),
        "operation": operation,
        "origin": origin,
        "level": level,
        "count": count,
        "connectors_affected": affected,
        "connectors": connectors,
        "first_seen": first,
        "last_seen": last,
        "template": tpl,
        "sample_message": sample,
        "rule_id": rule_id,
        "remediation": Remediation(
            hint=hint or None, hint_en=hint_en or None, url=url or None, action=action or None
        ),
        "suggested_action": suggestion(action or None),
    }


async def licence_groups(
    clickhouse: ClickHouse,
    licence_id: str,
    since: datetime,
    until: datetime,
    limit: int,
    level: Level | None = None,
) -> list[ErrorGroup]:
    """The licence's groups over [since, until) (whole minutes), largest first; with `level`,
    only that level's lines are counted."""
    where = Conditions(licence_id).add(_IN_WINDOW, **_bounds(since, until))
    if level is not None:
        where.add("level = {level:String}", level=level.value)
    window = ReportFilters(since=since, until=until, level=[level] if level else [])
    rows = await clickhouse.arows(
        f"SELECT {_COLUMNS} FROM fingerprint_minutes WHERE {where.sql} GROUP BY fingerprint "
        "ORDER BY count DESC, fingerprint LIMIT {limit:UInt32}",
        {**where.parameters, "limit": limit},
    )
    return [
        ErrorGroup(
            **(group := _group(row)),
            report_url=window.model_copy(
                update={"fingerprint": [int(group["fingerprint"])]}
            ).report_url(),
        )
        for row in rows
    ]


Until = Annotated[Instant | None, instant_query("end, rounded up to the minute; default: now")]
Limit = Annotated[int, Query(ge=1, le=MAX_GROUPS, description=f"1 to {MAX_GROUPS}")]


@router.get(
    "/v1/groups",
    response_model=GroupPage,
    summary="This licence's error groups",
    description=f"At most `limit` (1 to {MAX_GROUPS}) groups, each naming at most "
    f"{CONNECTOR_SAMPLE} of its connectors (connectors_affected counts them all).",
)
async def groups(
    principal: ReaderPrincipal,
    clickhouse: ClickHouseDep,
    since: Annotated[
        Instant | None, instant_query("start, rounded down to the minute; default: until - 48 h")
    ] = None,
    until: Until = None,
    limit: Limit = 50,
) -> GroupPage:
    window = window_of(since, until, timedelta(hours=48))
    found = await licence_groups(
        clickhouse, principal.licence_id, window.since, window.until, limit
    )
    return GroupPage(since=window.since, until=window.until, groups=found)


@operator_router.get(
    "/v1/admin/groups",
    response_model=FleetGroupPage,
    summary="Fleet-wide error groups, ranked by licences affected",
    description=f"At most `limit` (1 to {MAX_GROUPS}) groups, each naming at most "
    f"{CONNECTOR_SAMPLE} of its connectors.",
)
async def fleet_groups(
    clickhouse: ClickHouseDep,
    since: Annotated[
        Instant | None, instant_query("start, rounded down to the minute; default: until - 24 h")
    ] = None,
    until: Until = None,
    limit: Limit = 50,
) -> FleetGroupPage:
    window = window_of(since, until, timedelta(hours=24))
    rows = await clickhouse.arows(
        f"SELECT {_COLUMNS}, uniqExact(licence_id) AS licences FROM fingerprint_minutes "
        f"WHERE {_IN_WINDOW} GROUP BY fingerprint "
        "ORDER BY licences DESC, count DESC, fingerprint LIMIT {limit:UInt32}",
        {**_bounds(window.since, window.until), "limit": limit},
    )
    return FleetGroupPage(
        since=window.since,
        until=window.until,
        groups=[FleetErrorGroup(**_group(row), licences_affected=row[12]) for row in rows],
    )
