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
from datetime import UTC, datetime
from typing import Any

from projections.clickhouse import ClickHouse
from schemas import ClassifiedBatch, ClassifiedEvent
from schemas.text import fold

_Pair = tuple[ClassifiedBatch, ClassifiedEvent]

# Column name -> how to read it off (record, event). One table, so names and values cannot drift.
_EXTRACT: dict[str, Callable[[_Pair], Any]] = {
    "licence_id": lambda p: p[0].licence_id,
    "connector_id": lambda p: p[1].connector_id,
    "event_id": lambda p: p[1].event_id,
    "occurred_at": lambda p: p[1].occurred_at,
    "received_at": lambda p: p[0].received_at,
    "operation": lambda p: p[1].operation,
    "reference": lambda p: p[1].reference,
    "status": lambda p: p[1].status or "",
    "code": lambda p: p[1].code or "",
    "message": lambda p: p[1].message,
    "message_folded": lambda p: fold(p[1].message),
    "sync_id": lambda p: p[1].sync_id or "",
    "config_id": lambda p: p[1].config_id or "",
    "attributes": lambda p: p[1].attributes,
    "level": lambda p: p[1].level.value,
    "origin": lambda p: p[1].origin.value,
    "rule_id": lambda p: p[1].rule_id,
    "rule_version": lambda p: p[1].rule_version,
    "fingerprint": lambda p: p[1].fingerprint,
    "message_template": lambda p: p[1].template,
    "remediation_hint": lambda p: p[1].remediation.hint or "",
    "remediation_hint_en": lambda p: p[1].remediation.hint_en or "",
    "remediation_url": lambda p: p[1].remediation.url or "",
    "remediation_action": lambda p: p[1].remediation.action or "",
    # The version is the accept time: a replay of the same record writes the same row.
    "version": lambda p: int(p[0].received_at.timestamp() * 1000),
}
COLUMNS = tuple(_EXTRACT)


def to_columns(pairs: Sequence[_Pair]) -> list[list[Any]]:
    return [[extract(pair) for pair in pairs] for extract in _EXTRACT.values()]


TABLE = "sync_events"

_KNOWN = """
SELECT DISTINCT event_id FROM {table}
WHERE licence_id IN {licences:Array(String)}
  AND occurred_at BETWEEN {first:DateTime64(3, 'UTC')} AND {last:DateTime64(3, 'UTC')}
  AND event_id IN {ids:Array(UUID)}
"""


def _utc_wall(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None)


def first_seen(
    clickhouse: ClickHouse, batches: Iterable[ClassifiedBatch], table: str = TABLE
) -> list[_Pair]:
    """The (record, event) pairs whose event_id is neither stored in `table` nor earlier in these
    batches."""
    pairs: dict[uuid.UUID, _Pair] = {}
    for batch in batches:
        for event in batch.events:
            assert event.event_id is not None  # ingest gives every event its id
            pairs.setdefault(event.event_id, (batch, event))
    if not pairs:
        return []
    times = [event.occurred_at for _, event in pairs.values()]
    known = clickhouse.rows(
        _KNOWN.replace("{table}", table),
        {
            "licences": sorted({batch.licence_id for batch, _ in pairs.values()}),
            "first": _utc_wall(min(times)),
            "last": _utc_wall(max(times)),
            "ids": list(pairs),
        },
    )
    for (event_id,) in known:
        pairs.pop(event_id, None)
    return list(pairs.values())


class SyncEventsWriter:
    """Writes into sync_events, or into a replay's shadow of it (same columns, same rule)."""

    def __init__(self, clickhouse: ClickHouse, table: str = TABLE) -> None:
        self._clickhouse = clickhouse
        self._table = table

    async def write(self, batches: Iterable[ClassifiedBatch]) -> int:
        """Insert the events not stored yet; return how many were new."""
        pairs = await asyncio.to_thread(first_seen, self._clickhouse, batches, self._table)
        if pairs:
            await self._clickhouse.ainsert_columns(self._table, COLUMNS, to_columns(pairs))
        return len(pairs)
