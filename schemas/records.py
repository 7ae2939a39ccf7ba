"""Encoding of topic records: many events of one licence per Kafka record, each record bounded.

Carrying a batch per record pays Faust's per-record cost once per batch (see NOTES.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime

import orjson
from pydantic import BaseModel


def encode_batches(
    licence_id: str, received_at: datetime, events: Sequence[BaseModel], max_bytes: int
) -> Iterator[bytes]:
    """Yield `{"licence_id", "received_at", "events": [...]}` records of at most `max_bytes`."""
    encoded = (event.__pydantic_serializer__.to_json(event) for event in events)
    return pack_records(licence_id, received_at, encoded, max_bytes)


def pack_records(
    licence_id: str, received_at: datetime, events: Iterable[bytes], max_bytes: int
) -> Iterator[bytes]:
    """The same records, of events already encoded as JSON objects.

    A single event larger than `max_bytes` still gets a record of its own.
    """
    head = orjson.dumps({"licence_id": licence_id, "received_at": received_at})[:-1]
    head += b',"events":['
    chunk: list[bytes] = []
    size = len(head) + 2
    for encoded in events:
        if chunk and size + len(encoded) + 1 > max_bytes:
            yield head + b",".join(chunk) + b"]}"
            chunk, size = [], len(head) + 2
        chunk.append(encoded)
        size += len(encoded) + 1
    if chunk:
        yield head + b",".join(chunk) + b"]}"
