"""GET /v1/references/{reference}/timeline: one order's or product's story across syncs, its
events oldest first (query_api/timeline.py) with the remote actions queued for it.

Here, not in query_api, because the actions are the control plane's.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from control_plane.actions import licence_actions
from control_plane.http.actions import ActionOut, action_out
from control_plane.http.common import Bus
from infra.http_errors import NotFound, errors
from infra.http_state import ClickHouseDep
from licences.http import ReaderPrincipal
from query_api.timeline import (
    TimelineEvent,
    TimelineSummary,
    events_statement,
    summary_statement,
    timeline_event,
    timeline_summary,
)

router = APIRouter(tags=["reports"])

MAX_EVENTS = 500
MAX_ACTIONS = 100


class Timeline(BaseModel):
    reference: str
    summary: TimelineSummary
    events: list[TimelineEvent] = Field(max_length=MAX_EVENTS, description="oldest first")
    truncated: bool = Field(description="more events than `limit`: the oldest ones are shown")
    actions: list[ActionOut] = Field(
        max_length=MAX_ACTIONS, description="remote actions queued for this order, oldest first"
    )


@router.get(
    "/v1/references/{reference}/timeline",
    response_model=Timeline,
    responses=errors(NotFound),
    summary="Every event of one order or product across syncs, oldest first",
    description=f"At most `limit` (1 to {MAX_EVENTS}) events, the oldest; `truncated` says "
    f"there are more (the summary counts them all). At most {MAX_ACTIONS} remote actions, "
    "the newest. 404 when the licence has no event of this reference.",
)
async def timeline(
    principal: ReaderPrincipal,
    clickhouse: ClickHouseDep,
    bus: Bus,
    reference: Annotated[
        str, Path(min_length=1, max_length=256, description="the report lines' `reference`")
    ],
    limit: Annotated[int, Query(ge=1, le=MAX_EVENTS, description=f"1 to {MAX_EVENTS}")] = (
        MAX_EVENTS
    ),
) -> Timeline:
    listing = events_statement(principal.licence_id, reference, limit + 1)
    counting = summary_statement(principal.licence_id, reference)
    rows, (summary_row,), actions = await asyncio.gather(
        clickhouse.arows(listing.sql, listing.parameters),
        clickhouse.arows(counting.sql, counting.parameters),
        licence_actions(bus, principal.licence_id),
    )
    summary = timeline_summary(summary_row)
    if summary is None:
        raise NotFound(
            "reference_not_found",
            f"Aucun événement pour la référence {reference!r} dans cette licence.",
            f"no event for reference {reference!r} in this licence",
        )
    now = datetime.now(UTC)
    queued = sorted(
        (doc for doc in actions if doc.order_reference == reference), key=lambda d: d.created_at
    )[-MAX_ACTIONS:]
    return Timeline(
        reference=reference,
        summary=summary,
        events=[timeline_event(row) for row in rows[:limit]],
        truncated=len(rows) > limit,
        actions=[action_out(doc, now) for doc in queued],
    )
