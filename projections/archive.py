"""The archive: every raw-topic record kept in ClickHouse exactly as the log held it.

The embedded broker is memory-only, so the archive is what `ero rebuild --from-archive` re-derives
every projection from. A record is archived once as far as any reader can tell: a redelivery
(at-least-once) has the same key (licence, accept time, hash of the bytes), which the table
folds (ReplacingMergeTree, read with FINAL). No rollup hangs off the archive, so unlike
sync_events it needs no lookup of stored keys before an insert (that lookup cost 1.6 us per
record, as much as the insert).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple

import orjson
from aiokafka import ConsumerRecord

from infra.clickhouse import ClickHouse
from infra.retry import retry_transient
from schemas.records import RecordSeal, log_time, record_head, storable_time

TABLE = "event_archive"


class ArchivedRow(NamedTuple):
    """A row of event_archive, its columns in order. A tuple, not a dataclass: the hot stage
    files one per raw record, and a frozen dataclass costs several times more to build."""

    licence_id: str
    received_at: datetime
    record_hash: int
    log_topic: str
    log_partition: int
    log_offset: int
    events: int
    record: bytes

    @classmethod
    def filed(
        cls, record: ConsumerRecord, licence_id: str, received_at: datetime, events: int
    ) -> ArchivedRow:
        """The row of a record whose licence, accept time and events are known (the hot stage
        read them already)."""
        value = record.value
        digest = int.from_bytes(hashlib.blake2b(value, digest_size=8).digest(), "big")
        topic, partition, offset = record.topic, record.partition, record.offset
        return cls(licence_id, received_at, digest, topic, partition, offset, events, value)

    @classmethod
    def of(cls, record: ConsumerRecord, seal: RecordSeal) -> ArchivedRow:
        """A raw batch names its licence and accept time; a record that is not one (a direct
        producer's) is still kept, under its key and log timestamp, for the dead-letter trail;
        so is one whose accept time no database can hold. A record our gateway sealed is read by
        its head line alone (decoding every event of every record cost the worker ~1.3 us per
        event)."""
        licence_id = (record.key or b"").decode("utf-8", "replace")
        received_at = log_time(record.timestamp)
        events = 0
        try:
            counted: int | None = None
            if seal.verifies(record.value, record.headers):
                body, counted = record_head(record.value)
            else:
                body = orjson.loads(record.value)
            licence_id = str(body["licence_id"])
            received_at = storable_time(body["received_at"]) or received_at
            events = len(body["events"]) if counted is None else counted
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            pass
        return cls.filed(record, licence_id, received_at, events)


class ArchiveWriter:
    def __init__(self, clickhouse: ClickHouse) -> None:
        self._clickhouse = clickhouse

    def write_rows(self, rows: Sequence[ArchivedRow]) -> None:
        if rows:
            self._clickhouse.insert_columns(
                TABLE, ArchivedRow._fields, list(zip(*rows, strict=True))
            )

    async def store_until_done(self, rows: Sequence[ArchivedRow]) -> None:
        """`write_rows`, retried with backoff while ClickHouse refuses."""
        await retry_transient(lambda: asyncio.to_thread(self.write_rows, rows), "archive_insert")


@dataclass(frozen=True)
class ArchiveSize:
    records: int
    events: int


_PAGE = f"""
SELECT licence_id, received_at, record_hash, record FROM {TABLE} FINAL
WHERE received_at >= {{since:DateTime64(3, 'UTC')}}
  AND (licence_id, received_at, record_hash) > ({{licence:String}}, {{at:DateTime64(3, 'UTC')}},
                                                {{hash:UInt64}})
ORDER BY licence_id, received_at, record_hash
LIMIT {{limit:UInt32}}
"""


class ArchiveReader:
    """Pages through the archive in its sorting order (cheap for ClickHouse, resumable)."""

    def __init__(self, clickhouse: ClickHouse, since: datetime | None) -> None:
        self._clickhouse = clickhouse
        self._since = (since or datetime(1970, 1, 1, tzinfo=UTC)).astimezone(UTC)

    async def size(self) -> ArchiveSize:
        rows = await self._clickhouse.arows(
            f"SELECT count(), sum(events) FROM {TABLE} FINAL "
            "WHERE received_at >= {since:DateTime64(3, 'UTC')}",
            {"since": self._since},
        )
        return ArchiveSize(int(rows[0][0]), int(rows[0][1]))

    async def pages(self, limit: int = 500) -> AsyncIterator[list[bytes]]:
        cursor: tuple[str, datetime, int] = ("", datetime(1970, 1, 1), 0)
        while True:
            rows = await self._clickhouse.arows(
                _PAGE,
                {
                    "since": self._since,
                    "licence": cursor[0],
                    "at": cursor[1],
                    "hash": cursor[2],
                    "limit": limit,
                },
            )
            if not rows:
                return
            last = rows[-1]
            cursor = (last[0], last[1], last[2])
            yield [_as_bytes(row[3]) for row in rows]


def _as_bytes(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode()
