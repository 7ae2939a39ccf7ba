"""Turn a request body (JSON array or NDJSON) into valid events and named rejects.

`line` is the 1-based position of the event in the body: the physical line for NDJSON, the
array index + 1 for a JSON array. Rejects keep the line's raw text for the dead-letter topic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from pydantic import TypeAdapter, ValidationError

from schemas import FieldError, SyncEvent
from schemas.dead_letter import field_errors


class MalformedBody(ValueError):
    """The body is neither a JSON array nor NDJSON."""


class TooManyEvents(ValueError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"a request carries at most {limit} events; split the batch")
        self.limit = limit


@dataclass(frozen=True, slots=True)
class Reject:
    line: int
    raw: str
    errors: list[FieldError]


@dataclass(slots=True)
class ParsedBody:
    events: list[SyncEvent] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class TimeBounds:
    """How far from now an occurred_at may be: older is past retention, newer is a wrong clock."""

    retention_days: int
    max_future_skew_hours: int

    def check(self, occurred_at: datetime, now: datetime) -> FieldError | None:
        if occurred_at > now + timedelta(hours=self.max_future_skew_hours):
            return FieldError(
                field="occurred_at",
                reason=f"more than {self.max_future_skew_hours} h in the future: "
                "check the clock of the connector's PC",
            )
        if occurred_at < now - timedelta(days=self.retention_days):
            return FieldError(
                field="occurred_at",
                reason=f"older than the {self.retention_days}-day retention; it would never show",
            )
        return None


def _items(body: bytes, ndjson: bool) -> list[tuple[int, Any, bytes]]:
    """(line, decoded value or the JSON error, raw bytes) for every non-blank item."""
    if ndjson:
        items: list[tuple[int, Any, bytes]] = []
        for number, raw in enumerate(body.split(b"\n"), start=1):
            if not raw.strip():
                continue
            try:
                items.append((number, orjson.loads(raw), raw))
            except orjson.JSONDecodeError as exc:
                items.append((number, exc, raw))
        return items
    try:
        decoded = orjson.loads(body) if body.strip() else []
    except orjson.JSONDecodeError as exc:
        raise MalformedBody(
            f"body is not valid JSON ({exc}); send a JSON array of SyncEvent objects, "
            "or NDJSON with Content-Type: application/x-ndjson"
        ) from exc
    if not isinstance(decoded, list):
        raise MalformedBody("body must be a JSON array of SyncEvent objects (or NDJSON)")
    return [(index, value, b"") for index, value in enumerate(decoded, start=1)]


_EVENTS = TypeAdapter(list[SyncEvent])


def _all_valid(
    body: bytes, max_events: int, bounds: TimeBounds, now: datetime
) -> ParsedBody | None:
    """A JSON array whose every event is valid, in one pydantic call (what connectors send,
    ~40 % cheaper than line by line); None when anything is off: then line by line, which names
    each problem. Not for NDJSON: its lines must each be valid JSON on their own."""
    try:
        events = _EVENTS.validate_json(body)
    except ValidationError:
        return None
    if len(events) > max_events:
        raise TooManyEvents(max_events)
    if any(bounds.check(event.occurred_at, now) for event in events):
        return None
    return ParsedBody(events=events)


def parse_body(body: bytes, *, ndjson: bool, max_events: int, bounds: TimeBounds) -> ParsedBody:
    now = datetime.now(UTC)
    if not ndjson:
        parsed = _all_valid(body, max_events, bounds, now)
        if parsed is not None:
            return parsed
    items = _items(body, ndjson)
    if len(items) > max_events:
        raise TooManyEvents(max_events)
    parsed = ParsedBody()
    for line, value, raw in items:
        errors: list[FieldError]
        if isinstance(value, orjson.JSONDecodeError):
            errors = [FieldError(field="(line)", reason=f"not valid JSON: {value}")]
        else:
            try:
                event = SyncEvent.model_validate(value)
            except ValidationError as exc:
                errors = field_errors(exc)
            else:
                error = bounds.check(event.occurred_at, now)
                if error is None:
                    parsed.events.append(event)
                    continue
                errors = [error]
        text = raw.decode("utf-8", "replace") if raw else orjson.dumps(value).decode()
        parsed.rejects.append(Reject(line=line, raw=text, errors=errors))
    return parsed
