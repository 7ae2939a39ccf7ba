"""Error groups: identical problems (same fingerprint) counted together.

Readers see their licence's groups; vendor operators see the fleet's, ranked by licences
affected ("which ERP or CMS change broke 300 shops today"). Both read the per-minute rollup
`fingerprint_minutes`, as the dashboard's top groups do; windows are whole minutes. The fleet's
ranking and a group's totals read its projections per day, hour and minute
(query_api/fleet_windows.py); a group's licences and versions read the rollup's rows.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from infra.clickhouse import ClickHouse
from infra.http_errors import NotFound, errors
from infra.http_state import ClickHouseDep
from licences.http import Operator, ReaderPrincipal
from query_api.agents import reported
from query_api.filters import ReportFilters
from query_api.fleet_windows import GROUP_COLUMNS, SETTINGS, partials
from query_api.group_states import GroupStates, StateFilter, group_states
from query_api.instants import Instant, instant_query
from query_api.scope import Conditions, Statement
from query_api.windows import window_of
from schemas import Level, Origin, Remediation
from schemas.actions import Suggestion, suggestion
from schemas.control import AgentDoc
from schemas.group_state import ShownState

router = APIRouter(tags=["error groups"])
operator_router = APIRouter(tags=["operators"], dependencies=[Operator])

MAX_GROUPS = 200
CONNECTOR_SAMPLE = 20
MAX_AFFECTED = 200
MAX_VERSIONS = 20


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


class LicenceErrorGroup(ErrorGroup):
    state: ShownState = Field(
        description="open, resolved, ignored (hidden from the default views) or regressed "
        "(resolved, then an event occurred after the resolution: open again)"
    )


class FleetErrorGroup(ErrorGroup):
    licences_affected: int


class GroupPage(BaseModel):
    since: datetime
    until: datetime
    groups: list[LicenceErrorGroup] = Field(max_length=MAX_GROUPS)


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
    states: GroupStates | None = None,
    wanted: StateFilter = "all",
) -> list[LicenceErrorGroup]:
    """The licence's groups over [since, until) (whole minutes), largest first; with `level`,
    only that level's lines are counted; with `states`, only the groups shown in `wanted`."""
    where = Conditions(licence_id).add(_IN_WINDOW, **_bounds(since, until))
    if level is not None:
        where.add("level = {level:String}", level=level.value)
    states = states or GroupStates({}, frozenset(), datetime.now(UTC))
    kept, having, parameters = states.having(wanted)
    where.add(kept, **parameters)
    window = ReportFilters(since=since, until=until, level=[level] if level else [])
    rows = await clickhouse.arows(
        f"SELECT {_COLUMNS} FROM fingerprint_minutes WHERE {where.sql} GROUP BY fingerprint "
        f"HAVING {having} ORDER BY count DESC, fingerprint LIMIT {{limit:UInt32}}",
        {**where.parameters, "limit": limit},
    )
    return [
        LicenceErrorGroup(
            **(group := _group(row)),
            state=states.shown(int(group["fingerprint"]), group["last_seen"]),
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
    f"{CONNECTOR_SAMPLE} of its connectors (connectors_affected counts them all). By default "
    "the open and regressed ones: `state` shows the resolved, the ignored, or all.",
)
async def groups(
    principal: ReaderPrincipal,
    clickhouse: ClickHouseDep,
    since: Annotated[
        Instant | None, instant_query("start, rounded down to the minute; default: until - 48 h")
    ] = None,
    until: Until = None,
    limit: Limit = 50,
    state: Annotated[
        StateFilter,
        Query(description="open (open and regressed: the default), resolved, ignored or all"),
    ] = "open",
) -> GroupPage:
    window = window_of(since, until, timedelta(hours=48))
    found = await licence_groups(
        clickhouse,
        principal.licence_id,
        window.since,
        window.until,
        limit,
        states=await group_states(clickhouse, principal.licence_id),
        wanted=state,
    )
    return GroupPage(since=window.since, until=window.until, groups=found)


def fleet_groups_statement(since: datetime, until: datetime, limit: int) -> Statement:
    """The fleet's groups over [since, until), ranked by licences affected."""
    pieces, parameters = partials(since, until)
    return Statement(
        f"SELECT {GROUP_COLUMNS} FROM ({pieces}) GROUP BY fingerprint "
        "ORDER BY licences DESC, count DESC, fingerprint LIMIT {limit:UInt32} " + SETTINGS,
        {**parameters, "sample": CONNECTOR_SAMPLE, "limit": limit},
    )


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
    statement = fleet_groups_statement(window.since, window.until, limit)
    rows = await clickhouse.arows(statement.sql, statement.parameters)
    return FleetGroupPage(
        since=window.since,
        until=window.until,
        groups=[FleetErrorGroup(**_group(row), licences_affected=row[12]) for row in rows],
    )


class AffectedLicence(BaseModel):
    licence_id: str
    name: str
    status: str
    count: int
    connectors_affected: int
    first_seen: datetime
    last_seen: datetime
    agent: AgentDoc = Field(description="What its connector reported at its last handshake.")


class VersionCount(BaseModel):
    version: str | None = Field(description="None: the connector never reported it.")
    licences: int = Field(description="Licences with this group on this version.")
    fleet: int = Field(description="Licences of the whole fleet on this version.")


class GroupVersions(BaseModel):
    connector: list[VersionCount] = Field(max_length=MAX_VERSIONS)
    erp: list[VersionCount] = Field(max_length=MAX_VERSIONS)
    shop: list[VersionCount] = Field(max_length=MAX_VERSIONS)


class FleetGroupDetail(BaseModel):
    since: datetime
    until: datetime
    group: FleetErrorGroup
    licences: list[AffectedLicence] = Field(max_length=MAX_AFFECTED)
    versions: GroupVersions


_FINGERPRINT = "fingerprint = {fingerprint:UInt64}"
_ONE_GROUP = f"{_FINGERPRINT} AND {_IN_WINDOW}"

_AFFECTED = f"""
SELECT f.licence_id, l.name, l.status, f.count, f.connectors, f.first, f.last FROM (
    SELECT licence_id, sum(events) AS count, length(groupUniqArrayMerge(connectors)) AS connectors,
        min(first_event_at) AS first, max(last_event_at) AS last
    FROM fingerprint_minutes WHERE {_ONE_GROUP}
    GROUP BY licence_id ORDER BY count DESC, licence_id LIMIT {{limit:UInt32}}
) AS f
LEFT JOIN (SELECT licence_id, name, toString(status) AS status FROM licences FINAL) AS l
    ON l.licence_id = f.licence_id
ORDER BY f.count DESC, f.licence_id
"""

# Every licence of the fleet with its last handshake, those with the group marked: per version,
# how many have the group against how many run it.
_VERSIONS = f"""
SELECT pair.1 AS dimension, pair.2 AS version, countIf(hit) AS affected, count() AS fleet FROM (
    SELECT l.licence_id IN (SELECT licence_id FROM fingerprint_minutes WHERE {_ONE_GROUP}) AS hit,
        JSONExtractString(a.body, 'connector_version') AS connector,
        JSONExtractString(a.body, 'erp_version') AS erp,
        JSONExtractString(a.body, 'shop_version') AS shop
    FROM (SELECT licence_id FROM licences FINAL) AS l
    LEFT JOIN (
        SELECT licence_id, argMax(body, revision) AS body FROM control_entities FINAL
        WHERE entity = 'agent' AND entity_id = '' GROUP BY licence_id
    ) AS a ON a.licence_id = l.licence_id
)
ARRAY JOIN [('connector', connector), ('erp', erp), ('shop', shop)] AS pair
GROUP BY dimension, version
HAVING affected > 0
ORDER BY dimension, affected DESC, version
LIMIT {{versions:UInt32}} BY dimension
"""


def _group_not_found(fingerprint: int) -> NotFound:
    return NotFound(
        "group_not_found",
        f"Aucun groupe d’erreurs {fingerprint} sur cette période : élargissez la période.",
        f"no error group {fingerprint} in this window: widen the window",
    )


@operator_router.get(
    "/v1/admin/groups/{fingerprint}",
    response_model=FleetGroupDetail,
    responses=errors(NotFound),
    summary="One fleet error group: the licences it affects and the versions they run",
    description=f"The {MAX_AFFECTED} licences with the most events of the group (each with the "
    "versions its connector reported at its last handshake), and per connector, ERP and shop "
    f"version (the {MAX_VERSIONS} most affected) how many affected licences run it against "
    "how many licences of the fleet do.",
)
async def fleet_group(
    fingerprint: Annotated[int, Path(ge=0, le=2**64 - 1, description="as /v1/admin/groups")],
    clickhouse: ClickHouseDep,
    since: Annotated[
        Instant | None, instant_query("start, rounded down to the minute; default: until - 24 h")
    ] = None,
    until: Until = None,
) -> FleetGroupDetail:
    window = window_of(since, until, timedelta(hours=24))
    pieces, parameters = partials(window.since, window.until, _FINGERPRINT)
    parameters |= {**_bounds(window.since, window.until), "fingerprint": fingerprint}
    # Side by side: the group's absence (a 404) is rare, its three reads are not.
    found, affected, versions = await asyncio.gather(
        clickhouse.arows(
            f"SELECT {GROUP_COLUMNS} FROM ({pieces}) GROUP BY fingerprint {SETTINGS}", parameters
        ),
        clickhouse.arows(_AFFECTED, {**parameters, "limit": MAX_AFFECTED}),
        clickhouse.arows(_VERSIONS, {**parameters, "versions": MAX_VERSIONS}),
    )
    if not found:
        raise _group_not_found(fingerprint)
    agents = await reported(clickhouse, [row[0] for row in affected])
    by_dimension: dict[str, list[VersionCount]] = {"connector": [], "erp": [], "shop": []}
    for dimension, version, licences, fleet in versions:
        by_dimension[dimension].append(
            VersionCount(version=version or None, licences=licences, fleet=fleet)
        )
    return FleetGroupDetail(
        since=window.since,
        until=window.until,
        group=FleetErrorGroup(**_group(found[0]), licences_affected=found[0][12]),
        licences=[
            AffectedLicence(
                licence_id=licence_id,
                name=name,
                status=status,
                count=count,
                connectors_affected=connectors,
                first_seen=first,
                last_seen=last,
                agent=agents.get(licence_id, AgentDoc()),
            )
            for licence_id, name, status, count, connectors, first, last in affected
        ],
        versions=GroupVersions(**by_dimension),
    )
