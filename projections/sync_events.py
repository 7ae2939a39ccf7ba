"""The sync_events table: classified events turned into columns and inserted in one block."""

from __future__ import annotations

from collections.abc import Callable, Iterable
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


def to_columns(batches: Iterable[ClassifiedBatch]) -> list[list[Any]]:
    pairs = [(batch, event) for batch in batches for event in batch.events]
    return [[extract(pair) for pair in pairs] for extract in _EXTRACT.values()]


class SyncEventsWriter:
    def __init__(self, clickhouse: ClickHouse) -> None:
        self._clickhouse = clickhouse

    async def write(self, batches: Iterable[ClassifiedBatch]) -> int:
        columns = to_columns(batches)
        if columns[0]:
            await self._clickhouse.ainsert_columns("sync_events", COLUMNS, columns)
        return len(columns[0])
