"""A valid SyncEvent as its plain fields: what the gateway validates bodies into.

Reading a body of valid lines into dicts rather than SyncEvent models costs about half as much
per line: pydantic builds no instance and calls no Python validator per line, and orjson
encodes the dicts to the very bytes the model's serializer writes. The fields are the
contract's own, derived from SyncEvent (its types, constraints and defaults, in its order), so
the two cannot drift; `stored_instant` then does what the model's occurred_at validator does.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from types import GenericAlias
from typing import Annotated, Any, NotRequired, cast

import orjson
from pydantic import ConfigDict, TypeAdapter
from typing_extensions import TypedDict

from schemas.records import pack_records
from schemas.sync_event import SyncEvent, derived_event_id

EventFields = dict[str, Any]
"""A valid event's fields as `SyncEvent` holds them (its `__dict__`), occurred_at stored as
`stored_instant` stores it: every field, in the contract's order."""


def _fields_type() -> type:
    # Built at run time from the model's fields, which no static checker can follow.
    fields: dict[str, Any] = {}
    for name, info in SyncEvent.model_fields.items():
        annotated: Any = Annotated[info.annotation, info]
        fields[name] = annotated if info.is_required() else NotRequired[annotated]
    make: Any = TypedDict
    typed = make("SyncEventFields", fields)
    typed.__pydantic_config__ = ConfigDict(extra="forbid")
    return cast(type, typed)


_FIELDS_LIST: Any = GenericAlias(list, (_fields_type(),))
EVENT_FIELDS_LIST: TypeAdapter[list[EventFields]] = TypeAdapter(_FIELDS_LIST)
"""Validates a JSON array of SyncEvent lines into their fields, each default filled in; the
occurred_at values still to be passed through `stored_instant`."""


def of_model(event: SyncEvent) -> EventFields:
    return dict(event.__dict__)


def with_event_id(fields: EventFields, licence_id: str) -> EventFields:
    """The fields with their `event_id` set: the given one, or `derived_event_id`."""
    if fields["event_id"] is not None:
        return fields
    return fields | {"event_id": derived_event_id(licence_id, fields)}


def encode_fields(
    licence_id: str, received_at: datetime, events: Iterable[EventFields], max_bytes: int
) -> Iterator[bytes]:
    """`schemas.records.encode_batches` for events held as fields: the same records, byte for
    byte (orjson writes a UTC instant as the model's serializer does, with a Z)."""
    encoded = (orjson.dumps(fields, option=orjson.OPT_UTC_Z) for fields in events)
    return pack_records(licence_id, received_at, encoded, max_bytes)
