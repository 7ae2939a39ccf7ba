"""The dead_letters table: every rejected line, its reasons and its original text, queryable.

A letter is identified by its content (licence, receive time, source, line, text), so the
at-least-once projection of the dead-letter topic writes the same letter again, never a second
one. Each change (replayed, re-checked with new reasons) is a new revision of the same letter;
ReplacingMergeTree(revised_at) keeps the newest and every read uses FINAL.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

import orjson
from pydantic import BaseModel

from infra.clickhouse import ClickHouse
from schemas import DeadLetter, FieldError

_LETTER_NAMESPACE = uuid.UUID("0d6c8f9e-3b7a-4f21-9c55-7e1d2a4b6c80")


class LetterStatus(StrEnum):
    PENDING = "pending"
    REPLAYED = "replayed"


class LetterSummary(BaseModel):
    letter_id: uuid.UUID
    received_at: datetime
    licence_id: str
    licence_name: str | None = None  # None: a licence that no longer exists, or none
    connector_id: str
    status: LetterStatus
    reason: str  # the first one, "field: reason"


class StoredLetter(BaseModel):
    letter_id: uuid.UUID
    licence_id: str
    licence_name: str | None = None  # as LetterSummary's, set by the reads
    connector_id: str
    received_at: datetime
    source: str
    line: int
    reasons: list[FieldError]
    raw: str
    status: LetterStatus
    replayed_at: datetime | None
    replayed_event_ids: list[uuid.UUID]


def first_reason(reasons: Sequence[FieldError]) -> str:
    return f"{reasons[0].field}: {reasons[0].reason}" if reasons else ""


def letter_id(letter: DeadLetter) -> uuid.UUID:
    content = "\x1f".join(
        (
            letter.licence_id,
            letter.received_at.isoformat(),
            letter.source,
            str(letter.line),
            letter.raw,
        )
    )
    return uuid.uuid5(_LETTER_NAMESPACE, content)


def connector_of(raw: str) -> str:
    """The connector a rejected line names, when it is readable enough to say."""
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return ""
    if isinstance(value, dict) and isinstance(value.get("events"), list) and value["events"]:
        value = value["events"][0]  # an unreadable raw record: its first event's connector
    connector = value.get("connector_id") if isinstance(value, dict) else None
    return connector.strip()[:128] if isinstance(connector, str) else ""


def stored(letter: DeadLetter) -> StoredLetter:
    """A letter as first received: pending, revised when it was received."""
    return StoredLetter(
        letter_id=letter_id(letter),
        licence_id=letter.licence_id,
        connector_id=connector_of(letter.raw),
        received_at=letter.received_at,
        source=letter.source,
        line=letter.line,
        reasons=letter.errors,
        raw=letter.raw,
        status=LetterStatus.PENDING,
        replayed_at=None,
        replayed_event_ids=[],
    )


_COLUMNS = (
    "letter_id",
    "licence_id",
    "connector_id",
    "received_at",
    "source",
    "line",
    "reasons",
    "raw",
    "status",
    "replayed_at",
    "replayed_event_ids",
    "revised_at",
)
# Reasons are read as two arrays: the driver returns named tuples as dicts.
_SELECTED = tuple(c for c in _COLUMNS if c not in ("reasons", "revised_at"))
_SELECT = f"SELECT {', '.join(_SELECTED)}, reasons.field, reasons.reason FROM dead_letters FINAL"
# The licence's name beside each letter (its licence_id for a licence not or no longer known).
_NAMES = "SELECT licence_id, name FROM licences FINAL WHERE licence_id IN {ids:Array(String)}"


def _letter(row: tuple[Any, ...]) -> StoredLetter:
    values = dict(zip(_SELECTED, row, strict=False))
    fields, reasons = row[len(_SELECTED) :]
    return StoredLetter.model_validate(
        values
        | {
            "received_at": values["received_at"],
            "replayed_at": values["replayed_at"],
            "reasons": [
                FieldError(field=f, reason=r) for f, r in zip(fields, reasons, strict=True)
            ],
        }
    )


class DeadLetterStore:
    def __init__(self, clickhouse: ClickHouse) -> None:
        self._clickhouse = clickhouse

    def write(self, letters: Sequence[StoredLetter], revised_at: datetime | None = None) -> None:
        """Insert these revisions; a first revision is dated by its receive time, so any later
        change (a replay) outranks a redelivery of the original letter."""
        rows = [
            [
                letter.letter_id,
                letter.licence_id,
                letter.connector_id,
                letter.received_at,
                letter.source,
                letter.line,
                [(reason.field, reason.reason) for reason in letter.reasons],
                letter.raw,
                letter.status.value,
                letter.replayed_at,
                letter.replayed_event_ids,
                revised_at or letter.received_at,
            ]
            for letter in letters
        ]
        if rows:
            self._clickhouse.insert_columns("dead_letters", _COLUMNS, list(zip(*rows, strict=True)))

    def summaries(
        self, licence_id: str | None, status: LetterStatus | None, limit: int
    ) -> list[LetterSummary]:
        """Newest first."""
        clauses: list[str] = ["1"]
        parameters: dict[str, Any] = {"limit": limit}
        if licence_id is not None:
            clauses.append("licence_id = {licence_id:String}")
            parameters["licence_id"] = licence_id
        if status is not None:
            clauses.append("status = {status:String}")
            parameters["status"] = status.value
        rows = self._clickhouse.rows(
            "SELECT letter_id, received_at, licence_id, connector_id, status,"
            " reasons.field[1], reasons.reason[1]"
            f" FROM dead_letters FINAL WHERE {' AND '.join(clauses)}"
            " ORDER BY received_at DESC, letter_id LIMIT {limit:UInt32}",
            parameters,
        )
        names = self._names({row[2] for row in rows})
        return [
            LetterSummary(
                letter_id=letter,
                received_at=received_at,
                licence_id=licence,
                licence_name=names.get(licence),
                connector_id=connector,
                status=state,
                reason=first_reason([FieldError(field=field, reason=reason)]) if reason else "",
            )
            for letter, received_at, licence, connector, state, field, reason in rows
        ]

    def _names(self, licence_ids: set[str]) -> dict[str, str]:
        if not licence_ids:
            return {}
        return dict(self._clickhouse.rows(_NAMES, {"ids": sorted(licence_ids)}))

    def get(self, letter_ids: Sequence[uuid.UUID]) -> list[StoredLetter]:
        rows = self._clickhouse.rows(
            f"{_SELECT} WHERE letter_id IN {{ids:Array(UUID)}} ORDER BY received_at, letter_id",
            {"ids": list(letter_ids)},
        )
        letters = [_letter(row) for row in rows]
        names = self._names({letter.licence_id for letter in letters})
        return [
            letter.model_copy(update={"licence_name": names.get(letter.licence_id)})
            for letter in letters
        ]

    def counts(self) -> dict[str, int]:
        found = dict(
            self._clickhouse.rows("SELECT status, count() FROM dead_letters FINAL GROUP BY status")
        )
        return {status.value: int(found.get(status.value, 0)) for status in LetterStatus}
