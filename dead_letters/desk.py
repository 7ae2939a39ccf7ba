"""List, show and replay dead letters: what the operator endpoints and `ero dlq` both run.

Replay re-validates a letter's original text with the CURRENT schema, exactly as the gateway
would (ingest/parsing.py), and appends what is now valid to the raw topic through the gateway's
own EventLog. The event id is the line's own, or derived from its content, so replaying a letter
twice (a crash between the append and the mark) still stores the event once.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import structlog
from pydantic import BaseModel, ValidationError

from dead_letters.store import (
    DeadLetterStore,
    LetterStatus,
    LetterSummary,
    StoredLetter,
    first_reason,
)
from ingest.event_log import EventLog
from ingest.parsing import TimeBounds, TooManyEvents, parse_body
from schemas import FieldError, RawBatch, SyncEvent
from schemas.dead_letter import field_errors

log = structlog.get_logger(__name__)

MAX_REPLAY = 500  # letters per call: the CLI replays more in chunks, with progress


class ReplayOutcome(BaseModel):
    letter_id: uuid.UUID
    replayed: bool
    event_ids: list[uuid.UUID]
    reasons: list[FieldError]  # why it is still refused, when it is


class ReplayRequest(BaseModel):
    letter_ids: list[uuid.UUID]


class ReplayReport(BaseModel):
    outcomes: list[ReplayOutcome]
    unknown: list[uuid.UUID]


@dataclass(frozen=True)
class Checked:
    """A letter re-validated: its events when the current schema accepts it, else why not."""

    events: list[SyncEvent] = field(default_factory=list)
    reasons: list[FieldError] = field(default_factory=list)


def _refused(field_name: str, reason: str) -> Checked:
    return Checked(reasons=[FieldError(field=field_name, reason=reason)])


def revalidate(letter: StoredLetter, bounds: TimeBounds) -> Checked:
    if letter.source.startswith("kafka:"):
        # A whole raw record the classifier could not read (a producer ahead of the workers).
        try:
            batch = RawBatch.model_validate_json(letter.raw)
        except ValidationError as exc:
            return Checked(reasons=field_errors(exc))
        if batch.licence_id != letter.licence_id:
            return _refused("licence_id", "differs from the licence the record was keyed by")
        return Checked(events=batch.events)
    try:
        parsed = parse_body(letter.raw.encode(), ndjson=True, max_events=1, bounds=bounds)
    except TooManyEvents:
        return _refused("(line)", "holds more than one event")
    if parsed.rejects:
        return Checked(reasons=parsed.rejects[0].errors)
    return Checked(events=parsed.events) if parsed.events else _refused("(line)", "empty line")


class DeadLetterDesk:
    def __init__(self, store: DeadLetterStore, event_log: EventLog, bounds: TimeBounds) -> None:
        self._store = store
        self._event_log = event_log
        self._bounds = bounds

    async def summaries(
        self, licence_id: str | None, status: LetterStatus | None, limit: int
    ) -> list[LetterSummary]:
        return await asyncio.to_thread(self._store.summaries, licence_id, status, limit)

    async def letter(self, letter_id: uuid.UUID) -> StoredLetter | None:
        found = await asyncio.to_thread(self._store.get, [letter_id])
        return found[0] if found else None

    async def counts(self) -> dict[str, int]:
        return await asyncio.to_thread(self._store.counts)

    async def replay(self, letter_ids: Sequence[uuid.UUID]) -> ReplayReport:
        letters = await asyncio.to_thread(self._store.get, letter_ids)
        known = {letter.letter_id for letter in letters}
        outcomes = [await self._replay(letter) for letter in letters]
        return ReplayReport(outcomes=outcomes, unknown=[i for i in letter_ids if i not in known])

    async def _replay(self, letter: StoredLetter) -> ReplayOutcome:
        if letter.status is LetterStatus.REPLAYED:
            return ReplayOutcome(
                letter_id=letter.letter_id,
                replayed=True,
                event_ids=letter.replayed_event_ids,
                reasons=[],
            )
        checked = revalidate(letter, self._bounds)
        now = datetime.now(UTC)
        if checked.reasons:
            reasons = checked.reasons
            revision = letter.model_copy(update={"reasons": reasons})
            await asyncio.to_thread(self._store.write, [revision], now)
            log.info(
                "dead_letter_still_invalid",
                letter_id=str(letter.letter_id),
                licence_id=letter.licence_id,
                connector_id=letter.connector_id,
                reason=first_reason(reasons),
            )
            return ReplayOutcome(
                letter_id=letter.letter_id, replayed=False, event_ids=[], reasons=reasons
            )
        events = [event.with_identity(letter.licence_id) for event in checked.events]
        # Appended first, marked second: a crash in between replays the same event ids again.
        await self._event_log.append(letter.licence_id, now, events, [])
        event_ids = [event.event_id for event in events if event.event_id is not None]
        revision = letter.model_copy(
            update={
                "status": LetterStatus.REPLAYED,
                "replayed_at": now,
                "replayed_event_ids": event_ids,
            }
        )
        await asyncio.to_thread(self._store.write, [revision], now)
        log.info(
            "dead_letter_replayed",
            letter_id=str(letter.letter_id),
            licence_id=letter.licence_id,
            connector_id=letter.connector_id,
            event_ids=[str(event_id) for event_id in event_ids[:20]],
        )
        return ReplayOutcome(
            letter_id=letter.letter_id, replayed=True, event_ids=event_ids, reasons=[]
        )
