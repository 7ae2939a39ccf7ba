"""GET /v1/sync-runs: each run of each connector, told apart by the `sync_id` of its lines.

A run starts at its first line and ends at its last (by `occurred_at`); it is `failed` when any
of its lines is an error, `with_alerts` when none is but one is an alert, `ok` otherwise. Runs
are aggregated at query time from the licence's raw lines inside a bounded window (7 days by
default, at most MAX_WINDOW): sync_events is sorted by licence and time, so the scan reads only
that licence's window, and no rollup (no cost per event) is needed. A run crossing the window's
edge counts only its lines inside it. A sync_id names one run of the licence: should two
connectors report the same one, the run is the first connector's heard.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Path, Query
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field

from infra.http_errors import NotFound, errors, invalid
from infra.http_state import ClickHouseDep
from licences.http import ReaderPrincipal
from query_api.filters import ReportFilters
from query_api.instants import Instant, instant_query, within_range
from query_api.scope import Conditions, Statement
from query_api.windows import Window, window_of
from schemas import Level

router = APIRouter(tags=["sync runs"])

MAX_PAGE = 200
TOP_OPERATIONS = 10
DEFAULT_WINDOW = timedelta(days=7)
MAX_WINDOW = timedelta(days=31)
# Rounding since down and until up to the minute may widen the window asked by two minutes.
ROUNDING = timedelta(minutes=2)
LAST_LINE = timedelta(milliseconds=1)
"""What the run's report URL adds to its end: `until` is exclusive."""
MAX_SYNC_ID = 128  # what ingest accepts (schemas/sync_event.py)


class RunStatus(StrEnum):
    OK = "ok"
    WITH_ALERTS = "with_alerts"
    FAILED = "failed"


class OperationCount(BaseModel):
    operation: str
    lines: int


class SyncRun(BaseModel):
    sync_id: str
    connector_id: str
    started_at: datetime = Field(description="its first line's occurred_at")
    ended_at: datetime = Field(description="its last line's occurred_at")
    duration_seconds: float = Field(description="ended_at - started_at")
    status: RunStatus = Field(
        description="failed: an error line; with_alerts: no error, an alert; ok: neither"
    )
    lines: int
    levels: dict[Level, int] = Field(description="lines per level")
    operations: list[OperationCount] = Field(
        max_length=TOP_OPERATIONS,
        description=f"the {TOP_OPERATIONS} operations with the most lines, most first",
    )
    operations_total: int = Field(description="distinct operations in the run")
    report_url: str = Field(
        description="the /v1/reports URL listing the run's lines (bounded by its start and end)"
    )


class SyncRunPage(BaseModel):
    since: datetime
    until: datetime
    items: list[SyncRun] = Field(max_length=MAX_PAGE)
    next_cursor: str | None


# Counted per (run, operation) first, so that the top operations are kept in ClickHouse: a run
# of a thousand operations still answers TOP_OPERATIONS.
_RUNS = """
SELECT sync_id, argMin(first_connector, first_at), min(first_at) AS started_at, max(last_at),
       sum(n), sum(success), sum(alert) AS alerts, sum(error) AS errors,
       arraySlice(arrayReverseSort(x -> (x.2, x.1), groupArray((operation, n))),
                  1, {{top:UInt32}}),
       count()
FROM (
    SELECT sync_id, operation, argMin(connector_id, occurred_at) AS first_connector,
           min(occurred_at) AS first_at, max(occurred_at) AS last_at, count() AS n,
           countIf(level = 'success') AS success, countIf(level = 'alert') AS alert,
           countIf(level = 'error') AS error
    FROM sync_events WHERE {where}
    GROUP BY sync_id, operation
)
GROUP BY sync_id
HAVING {having}
ORDER BY started_at DESC, sync_id DESC
LIMIT {{limit:UInt32}}
"""

_STATUS_SQL = {
    RunStatus.FAILED: "errors > 0",
    RunStatus.WITH_ALERTS: "errors = 0 AND alerts > 0",
    RunStatus.OK: "errors = 0 AND alerts = 0",
}


def runs_statement(
    licence_id: str,
    window: Window,
    limit: int,
    *,
    connector_id: list[str] | None = None,
    status: list[RunStatus] | None = None,
    sync_id: str | None = None,
    after: tuple[datetime, str] | None = None,
) -> Statement:
    where = Conditions(licence_id).add(
        "occurred_at >= {since:DateTime64(3, 'UTC')}"
        " AND occurred_at < {until:DateTime64(3, 'UTC')}",
        since=window.since,
        until=window.until,
    )
    if sync_id is None:
        where.add("sync_id != ''")
    else:
        where.add("sync_id = {sync_id:String}", sync_id=sync_id)
    if connector_id:
        where.add("connector_id IN {connector_ids:Array(String)}", connector_ids=connector_id)
    having = ["1"]
    if status:
        having.append("(" + " OR ".join(f"({_STATUS_SQL[s]})" for s in dict.fromkeys(status)) + ")")
    parameters: dict[str, Any] = {**where.parameters, "limit": limit, "top": TOP_OPERATIONS}
    if after:
        having.append("(started_at, sync_id) < ({c_at:DateTime64(3, 'UTC')}, {c_id:String})")
        parameters.update(c_at=after[0], c_id=after[1])
    sql = _RUNS.format(where=where.sql, having=" AND ".join(having))
    return Statement(sql, parameters)


def _run(row: tuple[Any, ...]) -> SyncRun:
    (sync_id, connector_id, started, ended, lines, success, alert, error, ops, n_ops) = row
    return SyncRun(
        sync_id=sync_id,
        connector_id=connector_id,
        started_at=started,
        ended_at=ended,
        duration_seconds=(ended - started).total_seconds(),
        status=RunStatus.FAILED if error else RunStatus.WITH_ALERTS if alert else RunStatus.OK,
        lines=lines,
        levels={Level.SUCCESS: success, Level.ALERT: alert, Level.ERROR: error},
        operations=[OperationCount(operation=op, lines=n) for op, n in ops],
        operations_total=n_ops,
        report_url=ReportFilters(
            sync_id=[sync_id], since=started, until=ended + LAST_LINE
        ).report_url(),
    )


def encode_cursor(run: SyncRun) -> str:
    position = [run.started_at.isoformat(), run.sync_id]
    return base64.urlsafe_b64encode(orjson.dumps(position)).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The position a next_cursor names; 422 naming `cursor` if we could not have made it."""
    try:
        started_at, sync_id = orjson.loads(
            base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        )
        position = datetime.fromisoformat(started_at), str(sync_id)
    except (ValueError, TypeError, binascii.Error, orjson.JSONDecodeError) as exc:
        raise _malformed_cursor() from exc
    if position[0].tzinfo is None or not within_range(position[0]):
        raise _malformed_cursor()
    return position


def _malformed_cursor() -> RequestValidationError:
    return invalid(
        "query",
        "cursor",
        "malformed cursor: pass back the next_cursor of the previous page",
        fr="position de page illisible : renvoyez le next_cursor de la page précédente",
    )


async def runs_window(
    since: Annotated[
        Instant | None, instant_query("start, rounded down to the minute; default: until - 7 days")
    ] = None,
    until: Annotated[
        Instant | None, instant_query("end, rounded up to the minute; default: now")
    ] = None,
) -> Window:
    """The lines' window, refused past MAX_WINDOW (422 naming `since`)."""
    window = window_of(since, until, DEFAULT_WINDOW)
    if window.until - window.since > MAX_WINDOW + ROUNDING:
        raise invalid(
            "query",
            "since",
            f"the sync runs cover at most {MAX_WINDOW.days} days: narrow since..until",
            fr=f"les synchronisations couvrent au plus {MAX_WINDOW.days} jours : "
            "resserrez la période",
        )
    return window


@router.get(
    "/v1/sync-runs",
    response_model=SyncRunPage,
    summary="The licence's sync runs, newest first",
    description="Each run (the lines sharing a `sync_id`) inside since..until (7 days by "
    f"default, at most {MAX_WINDOW.days}; 422 naming `since` past it), newest start first, "
    f"at most `limit` (1 to {MAX_PAGE}) a page with a keyset cursor. `status`: failed (an "
    "error line), with_alerts (no error, an alert), ok (neither); repeatable.",
)
async def sync_runs(
    principal: ReaderPrincipal,
    clickhouse: ClickHouseDep,
    window: Annotated[Window, Depends(runs_window)],
    connector_id: Annotated[list[str], Query(description="repeatable")] = [],  # noqa: B006
    status: Annotated[list[RunStatus], Query(description="ok | with_alerts | failed")] = [],  # noqa: B006
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"1 to {MAX_PAGE}")] = 50,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
) -> SyncRunPage:
    statement = runs_statement(
        principal.licence_id,
        window,
        limit + 1,
        connector_id=connector_id,
        status=status,
        after=decode_cursor(cursor) if cursor else None,
    )
    rows = await clickhouse.arows(statement.sql, statement.parameters)
    items = [_run(row) for row in rows[:limit]]
    return SyncRunPage(
        since=window.since,
        until=window.until,
        items=items,
        next_cursor=encode_cursor(items[-1]) if len(rows) > limit else None,
    )


@router.get(
    "/v1/sync-runs/{sync_id}",
    response_model=SyncRun,
    responses=errors(NotFound),
    summary="One sync run",
    description="The run's lines inside since..until (7 days by default, at most "
    f"{MAX_WINDOW.days}); 404 `sync_run_not_found` when none is there.",
)
async def sync_run(
    principal: ReaderPrincipal,
    clickhouse: ClickHouseDep,
    sync_id: Annotated[str, Path(min_length=1, max_length=MAX_SYNC_ID)],
    window: Annotated[Window, Depends(runs_window)],
) -> SyncRun:
    statement = runs_statement(principal.licence_id, window, 1, sync_id=sync_id)
    rows = await clickhouse.arows(statement.sql, statement.parameters)
    if not rows:
        raise NotFound(
            "sync_run_not_found",
            "Aucune synchronisation de ce numéro sur cette période : élargissez la période.",
            "no sync run with this id in this window: widen the window",
        )
    return _run(rows[0])
