"""List, show and replay dead letters: what the operator endpoints and `ero dlq` both run.

Replay re-validates a letter's original text with the CURRENT schema, exactly as the gateway
would (ingest/parsing.py), and appends what is now valid to the raw topic through the gateway's
own EventLog. The event id is the line's own, or derived from its content, so replaying a letter
twice (a crash between the append and the mark) still stores the event once.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
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
from schemas import FieldError
from schemas.dead_letter import CONTROL_SOURCE, field_errors
from schemas.event_fields import EventFields, raw_batch_fields, with_event_id

log = structlog.get_logger(__name__)

MAX_REPLAY = 500  # letters per call: the CLI replays more in chunks, with progress


class LetterReplayOutcome(BaseModel):
    letter_id: uuid.UUID
    licence_id: str
    replayed: bool
    event_ids: list[uuid.UUID]
    reasons: list[FieldError]  # why it is still refused, when it is


class LetterReplayRequest(BaseModel):
    letter_ids: list[uuid.UUID]


class LetterReplayReport(BaseModel):
    outcomes: list[LetterReplayOutcome]
    unknown: list[uuid.UUID]


@dataclass(frozen=True)
class Checked:
    """A letter re-validated: its events when the current schema accepts it, else why not."""

    events: list[EventFields] = field(default_factory=list)
    reasons: list[FieldError] = field(default_factory=list)


def _refused(field_name: str, reason: str) -> Checked:
    return Checked(reasons=[FieldError(field=field_name, reason=reason)])


def revalidate(letter: StoredLetter, bounds: TimeBounds) -> Checked:
    if letter.source.startswith("kafka:"):
        # A whole raw record the classifier could not read (a producer ahead of the workers).
        try:
            licence_id, _, events = raw_batch_fields(letter.raw.encode())
        except ValidationError as exc:
            return Checked(reasons=field_errors(exc))
        if licence_id != letter.licence_id:
            return _refused("licence_id", "differs from the licence the record was keyed by")
        return Checked(events=events)
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

    async def replay(self, letter_ids: Sequence[uuid.UUID]) -> LetterReplayReport:
        """Re-check every letter; append the valid ones (one append per licence), then record
        every letter's new revision in one insert."""
        letters = await asyncio.to_thread(self._store.get, letter_ids)
        now = datetime.now(UTC)
        decided = [self._decide(letter, now) for letter in letters]
        appends: dict[str, list[EventFields]] = defaultdict(list)
        for letter, (_, _, events) in zip(letters, decided, strict=True):
            appends[letter.licence_id] += events
        # Appended first, marked second: a crash in between replays the same event ids again.
        for licence_id, events in appends.items():
            if events:
                await self._event_log.append(licence_id, now, events, [])
        revisions = [revision for _, revision, _ in decided if revision is not None]
        await asyncio.to_thread(self._store.write, revisions, now)
        for letter, (outcome, _, _) in zip(letters, decided, strict=True):
            log.info(
                "dead_letter_replayed" if outcome.replayed else "dead_letter_still_refused",
                letter_id=str(letter.letter_id),
                licence_id=letter.licence_id,
                connector_id=letter.connector_id,
                event_ids=[str(event_id) for event_id in outcome.event_ids[:20]],
                reason=first_reason(outcome.reasons),
            )
        known = {letter.letter_id for letter in letters}
        return LetterReplayReport(
            outcomes=[outcome for outcome, _, _ in decided],
            unknown=[letter_id for letter_id in letter_ids if letter_id not in known],
        )

    def _decide(
        self, letter: StoredLetter, now: datetime
    ) -> tuple[LetterReplayOutcome, StoredLetter | None, list[EventFields]]:
        """(the outcome, the letter's new revision if any, the events to append)."""
        if letter.source.startswith(CONTROL_SOURCE):
            # A command, not an event: its reader re-issues it once the cause is fixed.
            outcome = LetterReplayOutcome(
                letter_id=letter.letter_id,
                licence_id=letter.licence_id,
                replayed=False,
                event_ids=[],
                reasons=[
                    *letter.reasons,
                    FieldError(
                        field="(command)",
                        reason="a control command is not replayed: the reader issues it again",
                    ),
                ],
            )
            return outcome, None, []
        if letter.status is LetterStatus.REPLAYED:
            outcome = LetterReplayOutcome(
                letter_id=letter.letter_id,
                licence_id=letter.licence_id,
                replayed=True,
                event_ids=letter.replayed_event_ids,
                reasons=[],
            )
            return outcome, None, []
        checked = revalidate(letter, self._bounds)
        if checked.reasons:
            outcome = LetterReplayOutcome(
                letter_id=letter.letter_id,
                licence_id=letter.licence_id,
                replayed=False,
                event_ids=[],
                reasons=checked.reasons,
            )
            return outcome, letter.model_copy(update={"reasons": checked.reasons}), []
        events = [with_event_id(fields, letter.licence_id) for fields in checked.events]
        event_ids = [fields["event_id"] for fields in events]
        revision = letter.model_copy(
            update={
                "status": LetterStatus.REPLAYED,
                "replayed_at": now,
                "replayed_event_ids": event_ids,
            }
        )
        outcome = LetterReplayOutcome(
            letter_id=letter.letter_id,
            licence_id=letter.licence_id,
            replayed=True,
            event_ids=event_ids,
            reasons=[],
        )
        return outcome, revision, events
