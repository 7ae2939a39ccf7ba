"""Error groups: identical problems (same fingerprint) counted together.

Readers see their licence's groups; vendor operators see the fleet's, ranked by licences
affected ("which ERP or CMS change broke 300 shops today"). Windows are whole hours: the groups
table is bucketed by hour.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime, BaseModel

from ero.http_errors import invalid
from ero.services import Services, services
from licences.http import Operator, ReaderPrincipal
from query_api.filters import ReportFilters
from query_api.scope import Conditions
from schemas import Level, Origin, Remediation

router = APIRouter(tags=["error groups"])
operator_router = APIRouter(tags=["operators"], dependencies=[Operator])

MAX_GROUPS = 200


class ErrorGroup(BaseModel):
    fingerprint: str  # decimal UInt64: JSON numbers lose precision past 2**53
    operation: str
    origin: Origin
    level: Level
    count: int
    connectors_affected: int
    connectors: list[str]
    first_seen: datetime
    last_seen: datetime
    template: str
    sample_message: str
    rule_id: str
    remediation: Remediation
    report_url: str | None = None


class FleetErrorGroup(ErrorGroup):
    licences_affected: int


class GroupPage(BaseModel):
    since: datetime
    until: datetime
    groups: list[ErrorGroup]


class FleetGroupPage(BaseModel):
    since: datetime
    until: datetime
    groups: list[FleetErrorGroup]


_COLUMNS = """
    fingerprint, any(operation), any(origin), max(worst_level), uniqExactMerge(events) AS count,
    groupUniqArrayMerge(connectors) AS connector_ids, min(first_seen), max(last_seen),
    any(template), argMaxMerge(sample), argMaxMerge(remediation)
"""


def _window(
    since: datetime | None, until: datetime | None, default: timedelta
) -> tuple[datetime, datetime]:
    """The window widened to whole hours, the groups' granularity, so that the counts and the
    report_url of a group cover exactly the same events."""
    until = (until or datetime.now(UTC)).astimezone(UTC)
    since = (since or until - default).astimezone(UTC)
    if since >= until:
        raise invalid("query", "until", "until must be after since")
    hour = timedelta(hours=1)
    start = since.replace(minute=0, second=0, microsecond=0)
    end = until.replace(minute=0, second=0, microsecond=0)
    return start, end if end == until else end + hour


def _bounds(since: datetime, until: datetime) -> dict[str, Any]:
    return {"since": since.replace(tzinfo=None), "until": until.replace(tzinfo=None)}


def _group(row: tuple[Any, ...]) -> dict[str, Any]:
    (fp, operation, origin, level, count, connectors, first, last, tpl, sample, remedy) = row[:11]
    rule_id, hint, hint_en, url, action = remedy
    return {
        "fingerprint": str(fp),
        "operation": operation,
        "origin": origin,
        "level": level,
        "count": count,
        "connectors_affected": len(connectors),
        "connectors": sorted(connectors)[:20],
        "first_seen": first.replace(tzinfo=UTC),
        "last_seen": last.replace(tzinfo=UTC),
        "template": tpl,
        "sample_message": sample,
        "rule_id": rule_id,
        "remediation": Remediation(
            hint=hint or None, hint_en=hint_en or None, url=url or None, action=action or None
        ),
    }


Since = Annotated[AwareDatetime | None, Query(description="RFC 3339; default: until - 48 h")]
Until = Annotated[AwareDatetime | None, Query(description="RFC 3339; default: now")]
Limit = Annotated[int, Query(ge=1, le=MAX_GROUPS)]


@router.get("/v1/groups", response_model=GroupPage, summary="This licence's error groups")
async def groups(
    principal: ReaderPrincipal,
    svc: Annotated[Services, Depends(services)],
    since: Since = None,
    until: Until = None,
    limit: Limit = 50,
) -> GroupPage:
    since, until = _window(since, until, timedelta(hours=48))
    where = Conditions(principal.licence_id).add(
        "hour >= {since:DateTime} AND hour < {until:DateTime}", **_bounds(since, until)
    )
    rows = await svc.clickhouse.arows(
        f"SELECT {_COLUMNS} FROM error_groups WHERE {where.sql} GROUP BY fingerprint "
        "ORDER BY count DESC, fingerprint LIMIT {limit:UInt32}",
        {**where.parameters, "limit": limit},
    )
    window = ReportFilters(since=since, until=until)
    return GroupPage(
        since=since,
        until=until,
        groups=[
            ErrorGroup(
                **(group := _group(row)),
                report_url=window.model_copy(
                    update={"fingerprint": [int(group["fingerprint"])]}
                ).report_url(),
            )
            for row in rows
        ],
    )


@operator_router.get(
    "/v1/admin/groups",
    response_model=FleetGroupPage,
    summary="Fleet-wide error groups, ranked by licences affected",
)
async def fleet_groups(
    svc: Annotated[Services, Depends(services)],
    since: Annotated[
        AwareDatetime | None, Query(description="RFC 3339; default: until - 24 h")
    ] = None,
    until: Until = None,
    limit: Limit = 50,
) -> FleetGroupPage:
    since, until = _window(since, until, timedelta(hours=24))
    rows = await svc.clickhouse.arows(
        f"SELECT {_COLUMNS}, uniqExact(licence_id) AS licences FROM error_groups "
        "WHERE hour >= {since:DateTime} AND hour < {until:DateTime} GROUP BY fingerprint "
        "ORDER BY licences DESC, count DESC, fingerprint LIMIT {limit:UInt32}",
        {**_bounds(since, until), "limit": limit},
    )
    return FleetGroupPage(
        since=since,
        until=until,
        groups=[FleetErrorGroup(**_group(row), licences_affected=row[11]) for row in rows],
    )
