"""GET /v1/dashboard: a window (48 h by default) at a glance, read from the per-minute rollups.

Every figure carries the `report_url` listing exactly the events it counts. The answer is
bounded whatever the window asked: at most MAX_WINDOW (its hourly series at most
MAX_HOURLY_POINTS a level; longer spans are /v1/trends' job, at a coarser interval), the
MAX_CONNECTORS most recently active connectors, the TOP_GROUPS most frequent problems: errors
first, then alerts, each with its next step (hint in both languages, the knowledge base, the
suggested action's button).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from infra.http_errors import invalid
from infra.http_state import ClickHouseDep
from licences.http import ReaderPrincipal
from query_api.connector_health import ConnectorHealth, health_statement, healths
from query_api.filters import ReportFilters
from query_api.group_states import GroupStates, group_states
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
from schemas.actions import Suggestion, suggestion
from schemas.group_state import ShownState

router = APIRouter(tags=["dashboard"])

HOUR = timedelta(hours=1)
TOP_GROUPS = 10
MAX_CONNECTORS = 100
MAX_WINDOW = timedelta(days=31)
# Rounding since down and until up to the minute may widen the window asked by two minutes.
ROUNDING = timedelta(minutes=2)
# A window off the hour touches one more hourly bucket than it spans hours (and the rounding one).
MAX_HOURLY_POINTS = MAX_WINDOW // HOUR + 2


class LastSync(BaseModel):
    sync_id: str
    at: datetime
    report_url: str


class ConnectorSummary(BaseModel):
    connector_id: str
    last_event_at: datetime
    last_sync: LastSync | None
    levels: dict[Level, Count]
    health: ConnectorHealth = Field(
        description="now, whatever the window: from its sync runs of the last 7 days"
    )


class ErrorGroup(BaseModel):
    fingerprint: str  # decimal UInt64: JSON numbers lose precision past 2**53
    level: Level
    events: Count
    last_event_at: datetime
    message: str
    rule_id: str
    remediation: Remediation
    suggested_action: Suggestion | None = Field(
        description="the button of `remediation.action`, labelled in both languages; null "
        "when the rule suggests none"
    )
    state: ShownState = Field(
        description="open or regressed: resolved and ignored groups are not among the problems"
    )


class Dashboard(BaseModel):
    since: datetime
    until: datetime
    levels: dict[Level, Count]
    connectors: list[ConnectorSummary] = Field(
        max_length=MAX_CONNECTORS,
        description=f"the {MAX_CONNECTORS} connectors last heard from in the window, "
        "by connector_id",
    )
    connectors_total: int = Field(description="connectors heard from in the window")
    top_error_groups: list[ErrorGroup] = Field(
        max_length=TOP_GROUPS,
        description=f"the {TOP_GROUPS} most frequent open problems (open or regressed groups; "
        "resolved and ignored ones are left out): errors first, then alerts, each "
        "level by events (most first), then by fingerprint",
    )
    hourly: dict[Level, Annotated[list[Point], Field(max_length=MAX_HOURLY_POINTS)]]


# One read of the window: each connector's rows per level, ranked by when it was last heard
# from (then by id), the first {top_connectors} kept, each row with the count of all the
# connectors heard from. (The window's totals per level are its hourly series' sums.)
_CONNECTORS = """
SELECT connector_id, level, n, last_at, sync_at, sync_id, heard_from FROM (
    SELECT *, dense_rank() OVER (ORDER BY heard DESC, connector_id) AS rank,
           uniqExact(connector_id) OVER () AS heard_from
    FROM (
        SELECT connector_id, level, sum(events) AS n, max(last_event_at) AS last_at,
               max(last_sync_at) AS sync_at, argMaxMerge(last_sync_id) AS sync_id,
               max(last_at) OVER (PARTITION BY connector_id) AS heard
        FROM sync_minutes
        WHERE {where}
        GROUP BY connector_id, level
    )
)
WHERE rank <= {top_connectors}
ORDER BY connector_id, level
"""

# The message shown for a group is its latest one, and its next step that line's: one argMax
# of the tuple, so that hint, hint_en, url and action come from the same row. `level` is an
# Enum8 whose error (3) sorts above alert (2).
_GROUPS = """
SELECT fingerprint, level, sum(events) AS n, max(last_event_at),
       argMax(message, last_event_at),
       argMax((rule_id, remediation_hint, remediation_hint_en, remediation_url, remediation_action),
              last_event_at)
FROM fingerprint_minutes
WHERE {where} AND {kept}
GROUP BY fingerprint, level
HAVING {having}
ORDER BY level DESC, n DESC, fingerprint
LIMIT {top}
"""


def independent_statements(
    licence_id: str, window: Window, now: datetime
) -> tuple[Statement, Statement, Statement]:
    """The window's connectors and hourly series, and the connectors' health at `now`: none
    depends on another's answer (the top groups depend on the group states)."""
    where = rollup_where(licence_id, ReportFilters(), window)
    return (
        Statement(
            _CONNECTORS.format(where=where.sql, top_connectors=MAX_CONNECTORS), where.parameters
        ),
        series_statement(licence_id, ReportFilters(), window, HOUR),
        health_statement(licence_id, now),
    )


def groups_statement(
    licence_id: str, window: Window, states: GroupStates | None = None
) -> Statement:
    """The top groups; with `states`, the open ones (open or regressed)."""
    where = rollup_where(licence_id, ReportFilters(), window)
    kept, having, shown = (states or GroupStates({}, frozenset(), window.until)).having("open")
    return Statement(
        _GROUPS.format(where=where.sql, top=TOP_GROUPS, kept=kept, having=having),
        {**where.parameters, **shown},
    )


def _connectors(
    window: ReportFilters, rows: list[tuple[Any, ...]], health: dict[str, ConnectorHealth]
) -> list[ConnectorSummary]:
    counts: dict[str, dict[Level, int]] = {}
    last_event: dict[str, datetime] = {}
    last_sync: dict[str, tuple[datetime, str]] = {}
    for connector_id, level, n, last_at, sync_at, sync_id, _ in rows:
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
                health=health[connector_id],
            )
        )
    return summaries


def _groups(
    window: ReportFilters, rows: list[tuple[Any, ...]], states: GroupStates
) -> list[ErrorGroup]:
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
            remediation=Remediation(
                hint=hint or None, hint_en=hint_en or None, url=url or None, action=action or None
            ),
            suggested_action=suggestion(action or None),
            state=states.shown(fingerprint, last_at),
        )
        for fingerprint, level, n, last_at, message, (rule_id, hint, hint_en, url, action) in rows
    ]


async def dashboard_window(window: Annotated[Window, Depends(window_params)]) -> Window:
    """The window asked, refused past MAX_WINDOW (422 naming `since`)."""
    if window.until - window.since > MAX_WINDOW + ROUNDING:
        raise invalid(
            "query",
            "since",
            f"le tableau de bord couvre au plus {MAX_WINDOW.days} jours / the dashboard covers "
            f"at most {MAX_WINDOW.days} days: narrow since..until, or use /v1/trends "
            "(interval=1d) for a longer span",
        )
    return window


@router.get(
    "/v1/dashboard",
    response_model=Dashboard,
    summary=f"A window (48 h; at most {MAX_WINDOW.days} days) at a glance",
    description=f"The window is at most {MAX_WINDOW.days} days (422 naming `since` past it; "
    f"/v1/trends covers longer spans): the hourly series hold at most {MAX_HOURLY_POINTS} "
    f"points a level, `connectors` the {MAX_CONNECTORS} last heard from, "
    f"`top_error_groups` {TOP_GROUPS}: errors first, then alerts, each with its hint in French "
    "and English (`remediation.hint`, `hint_en`) and the button of its suggested action "
    "(`suggested_action`, labelled in both languages).",
)
async def dashboard(
    principal: ReaderPrincipal,
    clickhouse: ClickHouseDep,
    window: Annotated[Window, Depends(dashboard_window)],
) -> Dashboard:
    now = datetime.now(UTC)
    licence_id = principal.licence_id

    async def top_groups() -> tuple[GroupStates, list[tuple[Any, ...]]]:
        # The only reads in turn: the groups shown depend on the states their members set.
        states = await group_states(clickhouse, licence_id, now)
        statement = groups_statement(licence_id, window, states)
        return states, await clickhouse.arows(statement.sql, statement.parameters)

    statements = independent_statements(licence_id, window, now)
    (connector_rows, series_rows, runs), (states, group_rows) = await asyncio.gather(
        asyncio.gather(*(clickhouse.arows(s.sql, s.parameters) for s in statements)),
        top_groups(),
    )
    by_level: Counter[Level] = Counter()
    for _, level, n in series_rows:
        by_level[Level(level)] += n
    health = healths(runs, sorted({row[0] for row in connector_rows}), now)
    scope = ReportFilters(since=window.since, until=window.until)
    return Dashboard(
        since=window.since,
        until=window.until,
        levels=level_counts(scope, by_level),
        connectors=_connectors(scope, connector_rows, health),
        connectors_total=connector_rows[0][-1] if connector_rows else 0,
        top_error_groups=_groups(scope, group_rows, states),
        hourly=series(series_rows, ReportFilters(), window, HOUR),
    )
