"""The HTTP batch gateway: POST /v1/events."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Literal

import structlog
from fastapi import APIRouter, Depends, Request, status
from pydantic import BaseModel, Field

from infra.http_errors import BadRequest, ContentTooLarge, Unavailable, errors
from infra.http_state import from_state
from infra.metrics import metrics
from ingest.event_log import EventLog, LogUnavailable
from ingest.parsing import (
    Duplicate,
    MalformedBody,
    TimeBounds,
    TooManyEvents,
    identified,
    parse_body,
)
from licences.http import ConnectorPrincipal
from schemas import DeadLetter, FieldError

log = structlog.get_logger(__name__)
router = APIRouter(tags=["ingest"])

RETRY_AFTER_SECONDS = 5


@dataclass(frozen=True)
class IngestLimits:
    """What one request may carry beyond its bytes (those are bounded, 413, before the route
    runs: infra/http_guards.py's BodyLimit, ERO_MAX_REQUEST_BYTES for this path)."""

    max_events_per_request: int
    bounds: TimeBounds


Limits = Annotated[IngestLimits, Depends(from_state("ingest_limits", IngestLimits))]
EventLogDep = Annotated[EventLog, Depends(from_state("event_log", EventLog))]


class RejectedLine(BaseModel):
    """A line not accepted: kept as a dead letter, with why."""

    line: int
    errors: list[FieldError]


class DuplicateLine(BaseModel):
    """A line whose event_id an earlier line of the same request carries: that line's event is
    the one accepted (an event_id is one event), this one is not stored."""

    line: int
    duplicate_of: int = Field(description="The earlier line, whose event was accepted.")
    event_id: uuid.UUID
    code: Literal["duplicate_event_id"] = "duplicate_event_id"
    reason: str
    reason_fr: str

    @classmethod
    def of(cls, duplicate: Duplicate) -> DuplicateLine:
        return cls(
            line=duplicate.line,
            duplicate_of=duplicate.of_line,
            event_id=duplicate.event_id,
            reason=f"same event_id as line {duplicate.of_line}, whose event is the one kept",
            reason_fr=f"même event_id que la ligne {duplicate.of_line}, dont l'événement est "
            "celui conservé",
        )


class IngestResult(BaseModel):
    accepted: int = Field(description="Events accepted: every line but the rejects and duplicates.")
    rejected: list[RejectedLine]
    duplicates: list[DuplicateLine] = Field(
        default_factory=list, description="Lines repeating an earlier line's event_id."
    )


@router.post(
    "/v1/events",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=IngestResult,
    summary="Append a batch of SyncEvent v2 (JSON array or NDJSON)",
    description="Every line is judged on its own: a bad line is reported in `rejected` (its "
    "line, field, code, English and French reason) and kept as a dead letter, a repeated "
    "event_id in `duplicates`, and the other lines are accepted.",
    responses=errors(BadRequest, ContentTooLarge, Unavailable),
)
async def post_events(
    request: Request,
    principal: ConnectorPrincipal,
    event_log: EventLogDep,
    limits: Limits,
) -> IngestResult:
    body = await request.body()
    ndjson = "ndjson" in request.headers.get("content-type", "")
    try:
        parsed = parse_body(
            body,
            ndjson=ndjson,
            max_events=limits.max_events_per_request,
            bounds=limits.bounds,
        )
    except TooManyEvents as exc:
        raise ContentTooLarge(
            "too_many_events",
            f"Une requête porte au plus {exc.limit} événements : découpez le lot.",
            str(exc),
        ) from exc
    except MalformedBody as exc:
        raise BadRequest(
            "malformed_body",
            "Corps illisible : un tableau JSON d’objets SyncEvent (ou du NDJSON) est attendu.",
            str(exc),
        ) from exc

    received_at = datetime.now(UTC)
    events, duplicates = identified(parsed, principal.licence_id)
    dead_letters = [
        DeadLetter(
            licence_id=principal.licence_id,
            received_at=received_at,
            source="http",
            line=reject.line,
            raw=reject.raw,
            errors=reject.errors,
        )
        for reject in parsed.rejects
    ]
    try:
        await event_log.append(principal.licence_id, received_at, events, dead_letters)
    except LogUnavailable as exc:
        log.warning("ingest_log_unavailable", error=str(exc), events=len(events))
        raise Unavailable(
            "event_log_unavailable",
            "Le journal des événements est injoignable ; rien de ce lot n’a été accepté. "
            f"Réessayez dans {RETRY_AFTER_SECONDS} s avec les mêmes event_id.",
            "the event log is unreachable; nothing of this batch was accepted. "
            f"Retry in {RETRY_AFTER_SECONDS} s with the same event_ids.",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        ) from exc
    metrics().increment("ingest_events", len(events), {"outcome": "accepted"})
    metrics().increment("ingest_events", len(dead_letters), {"outcome": "rejected"})
    log.info(
        "ingest_batch_accepted",
        accepted=len(events),
        rejected=len(dead_letters),
        duplicates=len(duplicates),
        connectors=sorted({event["connector_id"] for event in events})[:20],
        event_ids=[str(event["event_id"]) for event in events[:20]],
    )
    return IngestResult(
        accepted=len(events),
        rejected=[RejectedLine(line=r.line, errors=r.errors) for r in parsed.rejects],
        duplicates=[DuplicateLine.of(duplicate) for duplicate in duplicates],
    )
