"""The sync_events table: classified events turned into columns and inserted in one block.

An event_id is inserted once: the first time it is seen. A replayed batch (at-least-once
delivery) or a connector's retry changes nothing, so the rollups the materialized views feed
from these inserts (projections/migrations.py) count every event exactly once. This holds
because one writer handles a licence at a time: records are keyed by licence, and a partition
is consumed by one agent, which writes its batches one after the other.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from projections.clickhouse import ClickHouse
from schemas import Classification, ClassifiedBatch, SyncEvent
from schemas.text import fold


@dataclass(frozen=True, slots=True)
class Accepted:
    """When and for which licence a record of events was accepted: shared by its events."""

    licence_id: str
    received_at: datetime
    # The row version is the accept time: a replay of the same record writes the same row.
    version: int = field(init=False)
    json_field: bytes = field(init=False, repr=False)
    """`"received_at": ...` for the events' JSON on the classified topic."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "version", int(self.received_at.timestamp() * 1000))
        object.__setattr__(
            self, "json_field", orjson.dumps({"received_at": self.received_at})[1:-1]
        )


Row = tuple[Accepted, SyncEvent, Classification]

# Column name -> its values for the rows. One table, so names and values cannot drift; one
# comprehension per column, a third of the cost of a function call per value.
_EXTRACT: dict[str, Callable[[Sequence[Row]], list[Any]]] = {
    "licence_id": lambda rows: [r[0].licence_id for r in rows],
    "connector_id": lambda rows: [r[1].connector_id for r in rows],
    "event_id": lambda rows: [r[1].event_id for r in rows],
    "occurred_at": lambda rows: [r[1].occurred_at for r in rows],
    "received_at": lambda rows: [r[0].received_at for r in rows],
    "operation": lambda rows: [r[1].operation for r in rows],
    "reference": lambda rows: [r[1].reference for r in rows],
    "status": lambda rows: [r[1].status or "" for r in rows],
    "code": lambda rows: [r[1].code or "" for r in rows],
    "message": lambda rows: [r[1].message for r in rows],
    "message_folded": lambda rows: [fold(r[1].message) for r in rows],
    "sync_id": lambda rows: [r[1].sync_id or "" for r in rows],
    "config_id": lambda rows: [r[1].config_id or "" for r in rows],
    "attributes": lambda rows: [r[1].attributes for r in rows],
    "level": lambda rows: [r[2].level.value for r in rows],
    "origin": lambda rows: [r[2].origin.value for r in rows],
    "rule_id": lambda rows: [r[2].rule_id for r in rows],
    "rule_version": lambda rows: [r[2].rule_version for r in rows],
    "fingerprint": lambda rows: [r[2].fingerprint for r in rows],
    "message_template": lambda rows: [r[2].template for r in rows],
    "remediation_hint": lambda rows: [r[2].remediation.hint or "" for r in rows],
    "remediation_hint_en": lambda rows: [r[2].remediation.hint_en or "" for r in rows],
    "remediation_url": lambda rows: [r[2].remediation.url or "" for r in rows],
    "remediation_action": lambda rows: [r[2].remediation.action or "" for r in rows],
    "version": lambda rows: [r[0].version for r in rows],
}
COLUMNS = tuple(_EXTRACT)


def to_columns(rows: Sequence[Row]) -> list[list[Any]]:
    return [extract(rows) for extract in _EXTRACT.values()]


def rows_of(batch: ClassifiedBatch) -> list[Row]:
    """The rows of a record of the classified topic (a replay of it, tests)."""
    accepted: dict[datetime, Accepted] = {}
    rows: list[Row] = []
    for event in batch.events:
        at = event.received_at or batch.received_at
        if at not in accepted:
            accepted[at] = Accepted(batch.licence_id, at)
        rows.append((accepted[at], event, Classification.of(event)))
    return rows


_KNOWN = """
SELECT DISTINCT event_id FROM sync_events
WHERE licence_id IN {licences:Array(String)}
  AND occurred_at BETWEEN {first:DateTime64(3, 'UTC')} AND {last:DateTime64(3, 'UTC')}
  AND event_id IN {ids:Array(UUID)}
"""


# Ids per lookup: ClickHouse slows down sharply past ~50 000 (measured: 7 us/id at 50 000,
# 300 us/id at 100 000).
_LOOKUP_CHUNK = 10_000


def _utc_wall(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Block:
    """Rows ready to insert: one per event_id, and their columns."""

    rows: list[Row]
    columns: list[list[Any]]


def known_ids(clickhouse: ClickHouse, rows: Sequence[Row]) -> set[uuid.UUID]:
    """The event_ids of `rows` already stored."""
    known: set[uuid.UUID] = set()
    for start in range(0, len(rows), _LOOKUP_CHUNK):
        chunk = rows[start : start + _LOOKUP_CHUNK]
        times = [event.occurred_at for _, event, _ in chunk]
        found = clickhouse.rows(
            _KNOWN,
            {
                "licences": sorted({accepted.licence_id for accepted, _, _ in chunk}),
                "first": _utc_wall(min(times)),
                "last": _utc_wall(max(times)),
                "ids": [event.event_id for _, event, _ in chunk],
            },
        )
        known.update(event_id for (event_id,) in found)
    return known


class SyncEventsWriter:
    """First insert wins: an event_id already stored (or earlier in the same block) is skipped."""

    def __init__(self, clickhouse: ClickHouse) -> None:
        self._clickhouse = clickhouse

    @staticmethod
    def prepare(rows: Iterable[Row]) -> Block:
        """The CPU half of a write, independent of what is stored: it may run while the previous
        block is being stored."""
        unique: dict[uuid.UUID, Row] = {}
        for row in rows:
            assert row[1].event_id is not None  # every event has its id before it is classified
            unique.setdefault(row[1].event_id, row)
        kept = list(unique.values())
        return Block(kept, to_columns(kept))

    async def store(self, block: Block) -> int:
        """Insert the block's events not stored yet; return how many were new. Blocks must be
        stored one after the other: each one's lookup must see the previous one's insert."""
        if not block.rows:
            return 0
        known = await asyncio.to_thread(known_ids, self._clickhouse, block.rows)
        columns = block.columns
        if known:
            keep = [i for i, (_, event, _) in enumerate(block.rows) if event.event_id not in known]
            if not keep:
                return 0
            columns = [[column[i] for i in keep] for column in columns]
        await self._clickhouse.ainsert_columns("sync_events", COLUMNS, columns)
        return len(columns[0])

    async def write(self, rows: Iterable[Row]) -> int:
        return await self.store(self.prepare(rows))
