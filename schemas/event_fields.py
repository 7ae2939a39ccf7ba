"""A valid SyncEvent as its plain fields: what the gateway validates bodies into, and the hot
stage the records no gateway sealed.

Reading a body of valid lines into dicts rather than SyncEvent models costs about half as much
per line: pydantic builds no instance and calls no Python validator per line, and orjson
encodes the dicts to the very bytes the model's serializer writes. The fields are the
contract's own, derived from SyncEvent (its types, constraints and defaults, in its order), so
the two cannot drift; `stored_instants` then does what the model's occurred_at validator does.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from types import GenericAlias
from typing import Annotated, Any, NotRequired

import orjson
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError
from pydantic_core import PydanticCustomError
from typing_extensions import TypedDict

from schemas.records import pack_records
from schemas.sync_event import (
    STORABLE_FROM,
    STORABLE_UNTIL,
    RawBatch,
    SyncEvent,
    derived_event_id,
    storable_utc,
    to_milliseconds,
)

STORED_LAST = STORABLE_UNTIL - timedelta(microseconds=1)
"""The last instant ClickHouse stores (STORABLE_UNTIL is exclusive)."""

EventFields = dict[str, Any]
"""A valid event's fields as `SyncEvent` holds them (its `__dict__`), occurred_at stored as
`stored_instant` stores it: every field, in the contract's order."""


def _fields_of(model: type[BaseModel], name: str, **replaced: Any) -> Any:
    """A TypedDict of the model's fields (`replaced`: other types for some, required), built at
    run time from the model, which no static checker can follow."""
    fields: dict[str, Any] = {}
    for field, info in model.model_fields.items():
        if field in replaced:
            fields[field] = replaced[field]
            continue
        annotated: Any = Annotated[info.annotation, info]
        fields[field] = annotated if info.is_required() else NotRequired[annotated]
    make: Any = TypedDict
    typed = make(name, fields)
    if model.model_config.get("extra") == "forbid":
        typed.__pydantic_config__ = ConfigDict(extra="forbid")
    return typed


_EVENT_FIELDS = _fields_of(SyncEvent, "SyncEventFields")
_FIELDS_LIST: Any = GenericAlias(list, (_EVENT_FIELDS,))
EVENT_FIELDS_LIST: TypeAdapter[list[EventFields]] = TypeAdapter(_FIELDS_LIST)
"""Validates a JSON array of SyncEvent lines into their fields, each default filled in; the
occurred_at values still to be passed through `stored_instants`."""

_RAW_BATCH: TypeAdapter[dict[str, Any]] = TypeAdapter(
    _fields_of(RawBatch, "RawBatchFields", events=_FIELDS_LIST)
)


def raw_batch_fields(value: bytes) -> tuple[str, datetime, list[EventFields]]:
    """A raw record read as `RawBatch.model_validate_json` reads it (its licence, accept time
    and events), its events as fields: a third of the cost for a record of one event, what
    direct producers write. Raises the ValidationError the model raises, naming the field."""
    try:
        batch = _RAW_BATCH.validate_json(value)
        received_at = storable_utc(batch["received_at"], "received_at")
        events: list[EventFields] = batch["events"]
        if stored_instants(events):
            return batch["licence_id"], received_at, events
    except (ValidationError, PydanticCustomError):
        pass
    model = RawBatch.model_validate_json(value)  # its error is the one a dead letter keeps
    return model.licence_id, model.received_at, [of_model(event) for event in model.events]


def stored_instants(
    events: list[EventFields], earliest: datetime = STORABLE_FROM, latest: datetime = STORED_LAST
) -> bool:
    """Each event's occurred_at made what `stored_instant` makes it (in UTC, to the
    millisecond), in place; False as soon as one falls outside [earliest, latest] (by default:
    what ClickHouse stores), the events then half done. One pass, the range compared rather than
    refused with an error per line: what a body of valid lines costs the least."""
    for fields in events:
        try:
            occurred_at = to_milliseconds(fields["occurred_at"].astimezone(UTC))
        except OverflowError:  # before year 1 or after 9999 in UTC
            return False
        if not earliest <= occurred_at <= latest:
            return False
        fields["occurred_at"] = occurred_at
    return True


def of_model(event: SyncEvent) -> EventFields:
    return dict(event.__dict__)


def with_event_id(fields: EventFields, licence_id: str) -> EventFields:
    """The fields with their `event_id` set: the given one, or `derived_event_id`."""
    if fields["event_id"] is not None:
        return fields
    return fields | {"event_id": derived_event_id(licence_id, fields)}


def fields_json(fields: EventFields) -> bytes:
    """The event's JSON, byte for byte what the model's serializer writes (orjson writes a UTC
    instant as it does, with a Z)."""
    return orjson.dumps(fields, option=orjson.OPT_UTC_Z)


def encode_fields(
    licence_id: str, received_at: datetime, events: Iterable[EventFields], max_bytes: int
) -> Iterator[bytes]:
    """`schemas.records.encode_batches` for events held as fields: the same records."""
    return pack_records(licence_id, received_at, map(fields_json, events), max_bytes)
