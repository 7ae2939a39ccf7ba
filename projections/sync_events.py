"""The sync_events table: classified events inserted as one block of JSON lines.

Why JSON lines (JSONEachRow) rather than columns: the event's JSON is already encoded for the
classified topic; splicing it with fragments encoded once per record and per classification
costs ~2 us per event, and ClickHouse parses the block in C++ (outside the GIL, in parallel with
the next batch's preparation). Building columns and serialising them in Python took ~8 us.

An event is identified by its licence and its event_id (connectors choose their ids, so two
licences may send the same one: each is its own event). It is inserted once: the first time it
is seen. A replayed batch (at-least-once delivery) or a connector's retry changes nothing, so
the rollups the materialized views feed from these inserts (projections/migrations/m0010_rollups.py)
count every event exactly once; when a crash left an insert's rollups behind, the delivery that
finds its events stored re-derives their minutes (projections/rollup_repair.py). This holds
because one writer handles a licence at a time: records are keyed by licence, and a partition
is consumed by one consumer, which stores its batches one after the other.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import orjson

from infra.clickhouse import ArrayLiteral, ClickHouse
from infra.logs import batch_ids
from infra.retry import retry_transient
from projections.rollup_repair import Minute, repair_rollup_minutes
from schemas import Classification, ClassifiedBatch, SyncEvent
from schemas.classified import ADDED_FIELDS
from schemas.event_view import EventView
from schemas.text import fold

_event_json = SyncEvent.__pydantic_serializer__.to_json


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


@dataclass(frozen=True, slots=True)
class Row:
    accepted: Accepted
    event: SyncEvent
    classification: Classification
    event_json: bytes
    """The event's own fields as a JSON object (SyncEvent's encoding)."""


def row(accepted: Accepted, event: SyncEvent, classification: Classification) -> Row:
    return Row(accepted, event, classification, _event_json(event))


def rows_of(batch: ClassifiedBatch) -> list[Row]:
    """The rows of a record of the classified topic (a replay of it, tests). Events of one
    record share their accept time and, by shape, their classification: each is built once."""
    accepted: dict[datetime, Accepted] = {}
    shapes: dict[tuple[object, ...], Classification] = {}
    rows: list[Row] = []
    for event in batch.events:
        at = event.received_at or batch.received_at
        if at not in accepted:
            accepted[at] = Accepted(batch.licence_id, at)
        shape = tuple(getattr(event, name) for name in ADDED_FIELDS)
        found = shapes.get(shape) or shapes.setdefault(shape, Classification.of(event))
        # SyncEvent's encoder writes a ClassifiedEvent's SyncEvent fields only.
        rows.append(row(accepted[at], event, found))
    return rows


def _accepted_members(accepted: Accepted) -> bytes:
    members = {
        "licence_id": accepted.licence_id,
        "received_at": accepted.received_at,
        "version": accepted.version,
    }
    return orjson.dumps(members)[:-1] + b","


def _classification_members(found: Classification) -> bytes:
    remediation = found.remediation
    members = {
        "level": found.level,
        "origin": found.origin,
        "rule_id": found.rule_id,
        "rule_version": found.rule_version,
        "fingerprint": found.fingerprint,
        "message_template": found.template,
        "remediation_hint": remediation.hint or "",
        "remediation_hint_en": remediation.hint_en or "",
        "remediation_url": remediation.url or "",
        "remediation_action": remediation.action or "",
    }
    return b"," + orjson.dumps(members)[1:-1] + b',"message_folded":'


EventKey = tuple[str, str]
"""What identifies an event: (licence_id, event_id)."""


@dataclass(frozen=True)
class Block:
    """Rows ready to insert: one JSON line per event (licence, event_id; the first seen), and
    what the lookup of stored events and log lines need."""

    lines: list[bytes]
    keys: list[EventKey]
    """The events' (licence_id, event_id), line by line."""
    owners: set[tuple[str, str]]
    """(licence_id, connector_id) pairs."""
    earliest: datetime | None
    latest: datetime | None


class BlockBuilder:
    """Builds a Block event by event, from the event's JSON as encoded (SyncEvent's encoding)
    and its fields: one JSON object per row, named by the table's columns (JSON null = the
    column default). Record and classification parts are encoded once per block (events share
    them)."""

    def __init__(self) -> None:
        self._lines: list[bytes] = []
        self._keys: list[EventKey] = []
        self._seen: set[EventKey] = set()
        self._owners: set[tuple[str, str]] = set()
        self._times: list[datetime] = []
        self._heads: dict[int, bytes] = {}
        self._tails: dict[int, bytes] = {}

    def add_record(
        self,
        accepted: Accepted,
        classified: Iterable[tuple[bytes, EventView, Classification]],
    ) -> None:
        """Add the events of one record: each as its JSON, what is read of it (event_id,
        connector_id, occurred_at, message) and its classification. The hot loop of the
        stage: names are bound locally on purpose."""
        head = self._heads.get(id(accepted))
        if head is None:
            head = self._heads[id(accepted)] = _accepted_members(accepted)
        licence_id = accepted.licence_id
        seen, tails, lines = self._seen, self._tails, self._lines
        keys, owners, times = self._keys, self._owners, self._times
        parse_time, dumps = datetime.fromisoformat, orjson.dumps
        for event_json, event, found in classified:
            key = (licence_id, event.event_id)
            if key in seen:
                continue
            seen.add(key)
            tail = tails.get(id(found))
            if tail is None:
                tail = tails[id(found)] = _classification_members(found)
            folded = dumps(fold(event.message))
            lines.append(b"".join((head, event_json[1:-1], tail, folded, b"}")))
            keys.append(key)
            owners.add((licence_id, event.connector_id))
            times.append(parse_time(event.occurred_at))

    def add_row(self, r: Row) -> None:
        event = r.event
        assert event.event_id is not None  # every event has its id before it is classified
        view = EventView(
            event_id=str(event.event_id),
            connector_id=event.connector_id,
            occurred_at=event.occurred_at.isoformat(),
            operation=event.operation,
            message=event.message,
            status=event.status,
            code=event.code,
        )
        self.add_record(r.accepted, [(r.event_json, view, r.classification)])

    def build(self) -> Block:
        times = self._times
        return Block(
            self._lines,
            self._keys,
            self._owners,
            min(times) if times else None,
            max(times) if times else None,
        )


# JSON nulls are the columns' defaults; an unknown key is an error, never silently dropped.
_INSERT_SETTINGS = {
    "input_format_null_as_default": 1,
    "input_format_skip_unknown_fields": 0,
    "date_time_input_format": "best_effort",
    "max_partitions_per_insert_block": 1000,
    # Parsing one block in parallel threads costs ~10 % more CPU in all (measured) and the
    # worker's cores are busy classifying the next batch meanwhile.
    "input_format_parallel_parsing": 0,
}

TABLE = "sync_events"

# {table} is ours (sync_events or a replay's shadow of it), never user input.
_KNOWN = """
SELECT DISTINCT licence_id, toString(event_id), toStartOfMinute(occurred_at) FROM {table}
WHERE licence_id IN {licences:Array(String)}
  AND occurred_at BETWEEN {first:DateTime64(3, 'UTC')} AND {last:DateTime64(3, 'UTC')}
  AND event_id IN {ids:Array(UUID)}
"""

# Ids per lookup: ClickHouse slows down sharply past ~50 000 (measured: 7 us/id at 50 000,
# 300 us/id at 100 000).
_LOOKUP_CHUNK = 10_000


def known_ids(
    clickhouse: ClickHouse,
    keys: Sequence[EventKey],
    earliest: datetime,
    latest: datetime,
    table: str = TABLE,
) -> dict[EventKey, Minute]:
    """Which of the events `keys` names (occurred in [earliest, latest]) are stored in `table`,
    each with its minute. An id stored under another licence is another event: not known."""
    wanted = set(keys)
    known: dict[EventKey, Minute] = {}
    bounds = {
        "licences": sorted({licence for licence, _ in wanted}),
        "first": earliest,
        "last": latest,
    }
    for start in range(0, len(keys), _LOOKUP_CHUNK):
        chunk = [event_id for _, event_id in keys[start : start + _LOOKUP_CHUNK]]
        found = clickhouse.rows(
            _KNOWN.replace("{table}", table), bounds | {"ids": ArrayLiteral(chunk, quoted=True)}
        )
        # The query matches licences and ids apart: keep only the pairs asked for.
        known.update(
            ((licence, event_id), (licence, minute))
            for licence, event_id, minute in found
            if (licence, event_id) in wanted
        )
    return known


@dataclass(frozen=True)
class Lookup:
    """Which events of a block were stored when its lookup ran, ahead of its store."""

    known: dict[EventKey, Minute]
    stored_before: int
    """How many blocks the writer had stored when the lookup began."""
    epoch: int
    """The writer's table epoch then (a replay's swap changes it)."""


# Blocks whose keys the writer keeps, to complete a lookup that ran while they were stored.
_RECENT_BLOCKS = 4


class SyncEventsWriter:
    """First insert wins: an event (licence, event_id) already stored, or earlier in the same
    block, is skipped.
    Writes sync_events, or a replay's shadow of it (same columns, same rule).

    A block's lookup may run ahead (`look_ahead`, on a client of its own, while the previous
    block is inserted: a chdb client runs one call at a time); its store then also skips the
    events of the blocks stored since the lookup began, which it may not have seen."""

    def __init__(
        self, clickhouse: ClickHouse, table: str = TABLE, lookups: ClickHouse | None = None
    ) -> None:
        """`lookups`: the client of the lookups ahead (default: `clickhouse`)."""
        self._clickhouse = clickhouse
        self._lookups = lookups or clickhouse
        self._table = table
        self._stored = 0
        self._recent: deque[frozenset[EventKey]] = deque(maxlen=_RECENT_BLOCKS)
        self._counting = threading.Lock()

    def epoch(self) -> int:
        """Changes when the table a lookup read may have been replaced (GatedSyncEventsWriter)."""
        return 0

    def look_ahead(self, block: Block) -> Lookup | None:
        """The lookup of `block`, before its turn to be stored (blocking; any thread)."""
        if block.earliest is None or block.latest is None:
            return None
        with self._counting:
            stored, epoch = self._stored, self.epoch()
        known = known_ids(self._lookups, block.keys, block.earliest, block.latest, self._table)
        return Lookup(known, stored, epoch)

    def _stored_since(self, lookup: Lookup | None) -> frozenset[EventKey] | None:
        """The keys of the blocks stored since `lookup` began; None when they are not all
        kept (or the table changed): the lookup is then run again."""
        if lookup is None:
            return None
        with self._counting:
            since = self._stored - lookup.stored_before
            if lookup.epoch != self.epoch() or since > len(self._recent):
                return None
            return frozenset().union(*list(self._recent)[len(self._recent) - since :])

    @staticmethod
    def prepare(rows: Iterable[Row]) -> Block:
        """The CPU half of a write, independent of what is stored: it may run while the previous
        block is being stored."""
        builder = BlockBuilder()
        for r in rows:
            builder.add_row(r)
        return builder.build()

    def store_blocking(self, block: Block, lookup: Lookup | None = None) -> int:
        """Insert the block's events not stored yet; return how many were new. Blocks must be
        stored one after the other: each one's lookup must see the previous one's insert (or
        be completed with it: `lookup`, from `look_ahead`)."""
        if block.earliest is None or block.latest is None:
            return 0
        since = self._stored_since(lookup)
        if lookup is None or since is None:
            known = known_ids(
                self._clickhouse, block.keys, block.earliest, block.latest, self._table
            )
            since = frozenset()
        else:
            known = lookup.known
        lines = block.lines
        if known:
            # Delivered again: the delivery that stored them may have died before the rollups'
            # parts of its insert (projections/rollup_repair.py).
            repair_rollup_minutes(self._clickhouse, self._table, set(known.values()))
        if known or since:
            lines = [
                line
                for line, key in zip(lines, block.keys, strict=True)
                if key not in known and key not in since
            ]
        if lines:
            self._clickhouse.insert_json_lines(self._table, lines, _INSERT_SETTINGS)
        with self._counting:
            self._stored += 1
            self._recent.append(frozenset(block.keys))
        return len(lines)

    async def store(self, block: Block, lookup: Lookup | None = None) -> int:
        return await asyncio.to_thread(self.store_blocking, block, lookup)

    async def store_until_done(self, block: Block, lookup: Lookup | None = None) -> int:
        """`store`, retried with backoff while ClickHouse refuses (the batch stays uncommitted
        meanwhile); each failure's log line names the licences, connectors and events stuck."""
        return await retry_transient(
            lambda: self.store(block, lookup),
            "sync_events_insert",
            lambda: batch_ids(block.owners, [event_id for _, event_id in block.keys]),
        )

    async def write(self, rows: Iterable[Row]) -> int:
        return await self.store(self.prepare(rows))
