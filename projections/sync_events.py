"""The sync_events table: classified events turned into columns and inserted in one block."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from projections.clickhouse import ClickHouse
from schemas import ClassifiedBatch
from schemas.text import fold

COLUMNS = (
    "licence_id",
    "connector_id",
    "event_id",
    "occurred_at",
    "received_at",
    "operation",
    "reference",
    "status",
    "code",
    "message",
    "message_folded",
    "sync_id",
    "config_id",
    "attributes",
    "level",
    "origin",
    "rule_id",
    "remediation_hint",
    "remediation_url",
    "remediation_action",
    "version",
)


def to_columns(batches: Iterable[ClassifiedBatch]) -> list[list[Any]]:
    columns: list[list[Any]] = [[] for _ in COLUMNS]
    (
        licence_id,
        connector_id,
        event_id,
        occurred_at,
        received_at,
        operation,
        reference,
        status,
        code,
        message,
        message_folded,
        sync_id,
        config_id,
        attributes,
        level,
        origin,
        rule_id,
        hint,
        url,
        action,
        version,
    ) = columns
    for batch in batches:
        # The version is the accept time: a replay of the same record writes the same row.
        batch_version = int(batch.received_at.timestamp() * 1000)
        for event in batch.events:
            licence_id.append(batch.licence_id)
            connector_id.append(event.connector_id)
            event_id.append(event.event_id)
            occurred_at.append(event.occurred_at)
            received_at.append(batch.received_at)
            operation.append(event.operation)
            reference.append(event.reference)
            status.append(event.status or "")
            code.append(event.code or "")
            message.append(event.message)
            message_folded.append(fold(event.message))
            sync_id.append(event.sync_id or "")
            config_id.append(event.config_id or "")
            attributes.append(event.attributes)
            level.append(event.level.value)
            origin.append(event.origin.value)
            rule_id.append(event.rule_id)
            hint.append(event.remediation.hint or "")
            url.append(event.remediation.url or "")
            action.append(event.remediation.action or "")
            version.append(batch_version)
    return columns


class SyncEventsWriter:
    def __init__(self, clickhouse: ClickHouse) -> None:
        self._clickhouse = clickhouse

    async def write(self, batches: Iterable[ClassifiedBatch]) -> int:
        columns = to_columns(batches)
        if columns[0]:
            await self._clickhouse.ainsert_columns("sync_events", COLUMNS, columns)
        return len(columns[0])
