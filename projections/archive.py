"""The archive: every raw-topic record kept in ClickHouse exactly as the log held it.

The embedded broker is memory-only, so the archive is what `ero rebuild --from-archive` re-derives
every projection from. A record is archived once: a redelivery (at-least-once) finds its key
(licence, accept time, hash of the bytes) already stored and is skipped.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from aiokafka import ConsumerRecord

from ero.acking import retry_forever
from projections.clickhouse import ArrayLiteral, ClickHouse
from schemas.records import RecordSeal, record_head

TABLE = "event_archive"
COLUMNS = (
    "licence_id",
    "received_at",
    "record_hash",
    "log_topic",
    "log_partition",
    "log_offset",
    "events",
    "record",
)


@dataclass(frozen=True)
class LogRecord:
    """A record as read from the log, with its coordinates."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    key: bytes | None
    value: bytes
    headers: Sequence[tuple[str, bytes]] = ()

    @classmethod
    def read(cls, record: ConsumerRecord) -> LogRecord:
        return cls(
            record.topic,
            record.partition,
            record.offset,
            record.timestamp,
            record.key,
            record.value,
            record.headers,
        )


@dataclass(frozen=True)
class ArchivedRow:
    licence_id: str
    received_at: datetime
    record_hash: int
    record: LogRecord
    events: int

    @classmethod
    def filed(
        cls, record: LogRecord, licence_id: str, received_at: datetime, events: int
    ) -> ArchivedRow:
        """The row of a record whose licence, accept time and events are known (the hot stage
        read them already)."""
        digest = hashlib.blake2b(record.value, digest_size=8).digest()
        received_at = received_at.astimezone(UTC)
        return cls(licence_id, received_at, int.from_bytes(digest, "big"), record, events)

    @classmethod
    def of(cls, record: LogRecord, seal: RecordSeal) -> ArchivedRow:
        """A raw batch names its licence and accept time; a record that is not one (a direct
        producer's) is still kept, under its key and log timestamp, for the dead-letter trail.
        A record our gateway sealed is read by its head line alone (decoding every event of
        every record cost the worker ~1.3 us per event)."""
        licence_id = (record.key or b"").decode("utf-8", "replace")
        received_at = datetime.fromtimestamp(record.timestamp_ms / 1000, UTC)
        events = 0
        try:
            counted: int | None = None
            if seal.verifies(record.value, record.headers):
                body, counted = record_head(record.value)
            else:
                body = orjson.loads(record.value)
            licence_id = str(body["licence_id"])
            received_at = datetime.fromisoformat(body["received_at"])
            events = len(body["events"]) if counted is None else counted
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            pass
        return cls.filed(record, licence_id, received_at, events)

    def columns(self) -> tuple[Any, ...]:
        return (
            self.licence_id,
            self.received_at,
            self.record_hash,
            self.record.topic,
            self.record.partition,
            self.record.offset,
            self.events,
            self.record.value,
        )


_KNOWN = f"""
SELECT licence_id, record_hash FROM {TABLE}
WHERE licence_id IN {{licences:Array(String)}}
  AND received_at BETWEEN {{first:DateTime64(3, 'UTC')}} AND {{last:DateTime64(3, 'UTC')}}
  AND record_hash IN {{hashes:Array(UInt64)}}
"""


class ArchiveWriter:
    def __init__(self, clickhouse: ClickHouse, seal: RecordSeal) -> None:
        self._seal = seal
        self._clickhouse = clickhouse

    def _new_rows(self, rows: Iterable[ArchivedRow]) -> list[ArchivedRow]:
        unique: dict[tuple[str, int], ArchivedRow] = {}
        for row in rows:
            unique.setdefault((row.licence_id, row.record_hash), row)
        if not unique:
            return []
        times = [row.received_at.replace(tzinfo=None) for row in unique.values()]
        known = self._clickhouse.rows(
            _KNOWN,
            {
                "licences": sorted({licence for licence, _ in unique}),
                "first": min(times),
                "last": max(times),
                "hashes": ArrayLiteral((str(h) for _, h in unique), quoted=False),
            },
        )
        for licence_id, record_hash in known:
            unique.pop((licence_id, record_hash), None)
        return list(unique.values())

    def write_rows(self, rows: Iterable[ArchivedRow]) -> int:
        """Archive the rows not archived yet; return how many were new."""
        new = self._new_rows(rows)
        if new:
            self._clickhouse.insert_columns(
                TABLE, COLUMNS, list(zip(*(r.columns() for r in new), strict=True))
            )
        return len(new)

    def write_sync(self, records: Sequence[LogRecord]) -> int:
        return self.write_rows(ArchivedRow.of(record, self._seal) for record in records)

    async def write(self, records: Sequence[LogRecord]) -> int:
        return await asyncio.to_thread(self.write_sync, records)

    async def store_until_done(self, rows: Sequence[ArchivedRow]) -> int:
        """`write_rows`, retried with backoff while ClickHouse refuses."""
        return await retry_forever(
            lambda: asyncio.to_thread(self.write_rows, rows), "archive_insert"
        )


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
            {"since": self._since.replace(tzinfo=None)},
        )
        return ArchiveSize(int(rows[0][0]), int(rows[0][1]))

    async def pages(self, limit: int = 500) -> AsyncIterator[list[bytes]]:
        cursor: tuple[str, datetime, int] = ("", datetime(1970, 1, 1), 0)
        while True:
            rows = await self._clickhouse.arows(
                _PAGE,
                {
                    "since": self._since.replace(tzinfo=None),
                    "licence": cursor[0],
                    "at": cursor[1],
                    "hash": cursor[2],
                    "limit": limit,
                },
            )
            if not rows:
                return
            last = rows[-1]
            cursor = (last[0], last[1].astimezone(UTC).replace(tzinfo=None), last[2])
            yield [_as_bytes(row[3]) for row in rows]


def _as_bytes(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode()
