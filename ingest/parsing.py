"""Turn a request body (JSON array or NDJSON) into valid events and named rejects.

`line` is the 1-based position of the event in the body: the physical line for NDJSON, the
array index + 1 for a JSON array. Rejects keep the line's raw text for the dead-letter topic.
Whatever is wrong with one line (its JSON, its nesting, a field, a date no clock or database
can hold) is that line's reject: only a body that is not an array or NDJSON at all is refused
whole.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from pydantic import ValidationError

from schemas import FieldError, SyncEvent
from schemas.dead_letter import field_errors
from schemas.event_fields import (
    STORED_LAST,
    EventFields,
    of_model,
    stored_instants,
    valid_fields,
    with_event_id,
)
from schemas.sync_event import STORABLE_FROM

MAX_DEPTH = 8
"""JSON levels a line may nest (the line's object is the first, `attributes` the second):
deeper, the line is refused without being read further."""


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
    events: list[EventFields] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    """The line of each event."""


@dataclass(frozen=True, slots=True)
class TimeBounds:
    """How far from now an occurred_at may be: older is past retention, newer is a wrong clock."""

    retention_days: int
    max_future_skew_hours: int

    def window(self, now: datetime) -> tuple[datetime, datetime]:
        """The earliest and the latest occurred_at accepted at `now`: within these bounds, and
        an instant ClickHouse can store."""
        return (
            max(now - timedelta(days=self.retention_days), STORABLE_FROM),
            min(now + timedelta(hours=self.max_future_skew_hours), STORED_LAST),
        )

    def check(self, occurred_at: datetime, now: datetime) -> FieldError | None:
        if occurred_at > now + timedelta(hours=self.max_future_skew_hours):
            return FieldError(
                field="occurred_at",
                code="occurred_at_in_the_future",
                reason=f"more than {self.max_future_skew_hours} h in the future: "
                "check the clock of the connector's PC",
                reason_fr=f"plus de {self.max_future_skew_hours} h dans le futur : "
                "vérifiez l'horloge du PC du connecteur",
            )
        if occurred_at < now - timedelta(days=self.retention_days):
            return FieldError(
                field="occurred_at",
                code="occurred_at_past_retention",
                reason=f"older than the {self.retention_days}-day retention; it would never show",
                reason_fr=f"plus ancien que la rétention de {self.retention_days} jours ; "
                "il ne serait jamais affiché",
            )
        return None


def _too_deep(field_name: str) -> FieldError:
    return FieldError(
        field=field_name,
        code="too_deep",
        reason=f"nests deeper than {MAX_DEPTH} JSON levels (the line is the first); "
        "`attributes` is a flat object of strings",
        reason_fr=f"imbrication de plus de {MAX_DEPTH} niveaux JSON (la ligne est le premier) ; "
        "`attributes` est un objet plat de chaînes",
    )


def _not_json(exc: orjson.JSONDecodeError) -> FieldError:
    return FieldError(
        field="(line)",
        code="not_json",
        reason=f"not valid JSON: {exc}",
        reason_fr=f"JSON invalide : {exc}",
    )


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether decoded JSON nests more than `limit` levels (a scalar is none, `{}` one)."""
    pending: list[tuple[Any, int]] = [(value, 1)] if isinstance(value, dict | list) else []
    while pending:
        node, depth = pending.pop()
        if depth > limit:
            return True
        children = node.values() if isinstance(node, dict) else node
        pending += [(child, depth + 1) for child in children if isinstance(child, dict | list)]
    return False


def _too_deep_in(value: Any) -> FieldError | None:
    """A decoded line nesting deeper than MAX_DEPTH, named by the field that does."""
    if not isinstance(value, dict):
        return _too_deep("(line)") if _deeper_than(value, MAX_DEPTH) else None
    for key, child in value.items():
        if _deeper_than(child, MAX_DEPTH - 1):
            return _too_deep(key)
    return None


# Outside strings, the characters that shape JSON; a string is skipped whole (escapes included).
_STRUCTURE = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{},]')


def _too_deep_raw(raw: bytes) -> FieldError | None:
    """The same for a line the JSON decoder could not read (it may be too deep for it), read
    without decoding it: the field is the last key met at the line's level."""
    depth = 0
    key = b""
    for match in _STRUCTURE.finditer(raw):
        char = raw[match.start()]
        if char == 0x22:
            key = match.group() if depth == 1 else key
        elif char in b"[{":
            depth += 1
            if depth > MAX_DEPTH:
                try:
                    return _too_deep(str(orjson.loads(key)) if key else "(line)")
                except orjson.JSONDecodeError:
                    return _too_deep("(line)")
        elif char in b"]}":
            depth -= 1
    return None


def _array_items(body: bytes) -> Iterator[bytes]:
    """The bytes of each top-level item of a JSON array, found without decoding them (so an
    item too deep or too broken for the JSON decoder is still one item). Raises MalformedBody
    when the body is not an array."""
    depth = 0
    start = -1
    for match in _STRUCTURE.finditer(body):
        char = body[match.start()]
        if char == 0x22:  # a string
            continue
        if char in b"[{":
            if depth == 0 and (char != 0x5B or body[: match.start()].strip()):
                break
            depth += 1
            if depth == 1:
                start = match.end()
        elif char in b"]}":
            depth -= 1
            if depth == 0:
                last = body[start : match.start()]
                if last.strip():
                    yield last
                if body[match.end() :].strip():
                    break
                return
        elif depth == 1:  # a comma between items
            yield body[start : match.start()]
            start = match.end()
    raise MalformedBody("body must be a JSON array of SyncEvent objects (or NDJSON)")


def _items(body: bytes, ndjson: bool) -> list[tuple[int, Any, bytes]]:
    """(line, decoded value or the line's FieldError, raw bytes) for every non-blank item."""
    if ndjson:
        lines = enumerate(body.split(b"\n"), start=1)
        return [_decoded(number, raw) for number, raw in lines if raw.strip()]
    try:
        decoded = orjson.loads(body) if body.strip() else []
    except orjson.JSONDecodeError as exc:
        if not body.lstrip().startswith(b"["):
            raise _malformed(exc) from exc
        try:
            items = list(_array_items(body))
        except MalformedBody:
            raise _malformed(exc) from exc
        return [_decoded(line, raw) for line, raw in enumerate(items, start=1)]
    if not isinstance(decoded, list):
        raise MalformedBody("body must be a JSON array of SyncEvent objects (or NDJSON)")
    items_at: list[bytes] | None = None
    found: list[tuple[int, Any, bytes]] = []
    for line, value in enumerate(decoded, start=1):
        too_deep = _too_deep_in(value)
        if too_deep is not None:
            # Too deep to encode again: its bytes are taken from the body as they came.
            items_at = items_at or list(_array_items(body))
            found.append((line, too_deep, items_at[line - 1]))
        else:
            found.append((line, value, b""))
    return found


def _malformed(exc: orjson.JSONDecodeError) -> MalformedBody:
    return MalformedBody(
        f"body is not valid JSON ({exc}); send a JSON array of SyncEvent objects, "
        "or NDJSON with Content-Type: application/x-ndjson"
    )


def _decoded(line: int, raw: bytes) -> tuple[int, Any, bytes]:
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return line, _too_deep_raw(raw) or _not_json(exc), raw
    return line, _too_deep_in(value) or value, raw


def _all_valid(
    body: bytes, max_events: int, bounds: TimeBounds, now: datetime
) -> ParsedBody | None:
    """A JSON array whose every event is valid, read into fields in one call, without models
    (what connectors send); None when anything is off, or read otherwise by the models: then
    line by line, which names each problem. Not for NDJSON: its lines must each be valid JSON
    on their own."""
    events = valid_fields(body)
    if events is None:
        return None
    if len(events) > max_events:
        raise TooManyEvents(max_events)
    if not stored_instants(events, *bounds.window(now)):
        return None
    return ParsedBody(events=events, lines=list(range(1, len(events) + 1)))


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
        if isinstance(value, FieldError):
            errors = [value]
        else:
            try:
                event = SyncEvent.model_validate(value)
            except ValidationError as exc:
                errors = field_errors(exc)
            else:
                error = bounds.check(event.occurred_at, now)
                if error is None:
                    parsed.events.append(of_model(event))
                    parsed.lines.append(line)
                    continue
                errors = [error]
        text = raw.decode("utf-8", "replace") if raw else orjson.dumps(value).decode()
        parsed.rejects.append(Reject(line=line, raw=text, errors=errors))
    return parsed


@dataclass(frozen=True, slots=True)
class Duplicate:
    """A line whose event (licence, event_id) an earlier line of the same body holds already."""

    line: int
    of_line: int
    event_id: uuid.UUID


def identified(parsed: ParsedBody, licence_id: str) -> tuple[list[EventFields], list[Duplicate]]:
    """The body's events with their ids set (`with_event_id`), each id once; a later line with
    an id seen before is a duplicate of the first one, which is what storage keeps (first
    insert wins) and so what this answers."""
    first: dict[uuid.UUID, int] = {}
    events: list[EventFields] = []
    duplicates: list[Duplicate] = []
    for fields, line in zip(parsed.events, parsed.lines, strict=True):
        fields = with_event_id(fields, licence_id)
        event_id: uuid.UUID = fields["event_id"]
        seen = first.setdefault(event_id, line)
        if seen == line:
            events.append(fields)
        else:
            duplicates.append(Duplicate(line, seen, event_id))
    return events, duplicates
