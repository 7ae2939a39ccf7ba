"""Encoding of topic records: many events of one licence per Kafka record, each record bounded.

Carrying a batch per record pays Faust's per-record cost once per batch (see NOTES.md).

Layout: one event per line, `{"licence_id": ..., "received_at": ..., "events": [` then
`<event>,` lines, then `]}`. Still one JSON document, and compact JSON never holds a raw
newline, so a reader that knows the record came from this encoder (`RecordSeal`) can take each
event's bytes without decoding the record first.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime

import orjson
from pydantic import BaseModel

from schemas.sync_event import SyncEvent, storable_utc


def encode_batches(
    licence_id: str, received_at: datetime, events: Sequence[BaseModel], max_bytes: int
) -> Iterator[bytes]:
    """Yield `{"licence_id", "received_at", "events": [...]}` records of at most `max_bytes`."""
    encoded = (event.__pydantic_serializer__.to_json(event) for event in events)
    return pack_records(licence_id, received_at, encoded, max_bytes)


def pack_records(
    licence_id: str, received_at: datetime, events: Iterable[bytes], max_bytes: int
) -> Iterator[bytes]:
    """The same records, of events already encoded as compact JSON objects.

    A single event larger than `max_bytes` still gets a record of its own.
    """
    head = orjson.dumps({"licence_id": licence_id, "received_at": received_at})[:-1]
    head += b',"events":[\n'
    chunk: list[bytes] = []
    size = len(head) + 3
    for encoded in events:
        if chunk and size + len(encoded) + 2 > max_bytes:
            yield head + b",\n".join(chunk) + b"\n]}"
            chunk, size = [], len(head) + 3
        chunk.append(encoded)
        size += len(encoded) + 2
    if chunk:
        yield head + b",\n".join(chunk) + b"\n]}"


def unpack_record(value: bytes) -> tuple[dict[str, str], list[bytes]]:
    """The head fields and each event's JSON of a record `pack_records` wrote (and only of such
    a record: the caller knows it from its seal)."""
    lines = value.split(b"\n")
    head = orjson.loads(lines[0] + b"]}")
    events = [line[:-1] for line in lines[1:-2]]  # every event line but the last ends with ","
    events.append(lines[-2])
    return head, events


def record_head(value: bytes) -> tuple[dict[str, str], int]:
    """The head fields and the number of events of a record `pack_records` wrote, from its first
    line alone (the same caveat as `unpack_record`)."""
    head = orjson.loads(value[: value.index(b"\n")] + b"]}")
    return head, value.count(b"\n") - 1


def log_time(timestamp_ms: int) -> datetime:
    """A record's log timestamp, as ClickHouse can store it. Its producer sets it: one no
    database can hold reads as now, so the record is still kept for the retention (an old
    stand-in would be dropped at once); a redelivery of such a record is then kept twice."""
    try:
        return storable_utc(datetime.fromtimestamp(timestamp_ms / 1000, UTC), "timestamp")
    except (OverflowError, OSError, ValueError):
        return datetime.now(UTC)


def storable_time(text: object) -> datetime | None:
    """An RFC 3339 time read from a record that may not be ours: None unless ClickHouse can
    store it as it is meant (with its offset)."""
    try:
        value = datetime.fromisoformat(str(text))
        return storable_utc(value, "received_at") if value.tzinfo is not None else None
    except ValueError:
        return None


SEAL_HEADER = "ero-seal"


class RecordSeal:
    """Proof that a raw record was written by our gateway, which validated every event in it
    against the SyncEvent contract, set its event_id and encoded it with `pack_records`.

    The raw topic is also open to direct producers, so the hot stage validates whatever it
    reads (~3.4 us per event) unless the record carries this seal: a keyed BLAKE2b of the
    contract's version and the value (~0.3 us per event to check). A producer without the key
    cannot make a record pass as validated; a record without a valid seal (a direct producer,
    another key, an older contract) is validated in full. The key is the gateway's and the
    workers' shared secret (ERO_RECORD_KEY).
    """

    def __init__(self, key: bytes) -> None:
        self._key = hashlib.blake2b(key, digest_size=32).digest()
        self._contract = str(SyncEvent.model_config.get("title")).encode()

    def _mac(self, value: bytes) -> bytes:
        digest = hashlib.blake2b(self._contract, key=self._key, digest_size=16)
        digest.update(value)
        return digest.digest()

    def header(self, value: bytes) -> tuple[str, bytes]:
        return SEAL_HEADER, self._mac(value)

    def verifies(self, value: bytes, headers: Sequence[tuple[str, bytes]]) -> bool:
        for name, seal in headers:
            if name == SEAL_HEADER:
                return hmac.compare_digest(seal, self._mac(value))
        return False
