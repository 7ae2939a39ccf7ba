"""The control projection agent: control events -> control_entities + control_audit, then ack.

Entity rows are inserted before audit rows: a command_id in control_audit means its change is
readable, which is what the command bus waits for. Licence status changes go to `licences`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import orjson
import structlog
from pydantic import ValidationError

from infra.clickhouse import ClickHouse
from infra.retry import retry_transient
from schemas.control import ControlEvent, Entity, LicenceDoc
from streaming.acked_batches import acked_batches

log = structlog.get_logger(__name__)

# Column -> how to read it off an event. One table per target, so names and values cannot drift.
_ENTITY_ROW: dict[str, Callable[[ControlEvent], Any]] = {
    "licence_id": lambda e: e.licence_id,
    "entity": lambda e: e.entity.value,
    "entity_id": lambda e: e.entity_id,
    "revision": lambda e: e.revision,
    "status": lambda e: e.status,
    "dedup_key": lambda e: e.dedup_key,
    "deleted": lambda e: e.deleted,
    "actor": lambda e: e.actor,
    "updated_at": lambda e: e.issued_at,
    "body": lambda e: _json(e.after),
}
_AUDIT_ROW: dict[str, Callable[[ControlEvent], Any]] = {
    "licence_id": lambda e: e.licence_id,
    "issued_at": lambda e: e.issued_at,
    "command_id": lambda e: e.command_id,
    "kind": lambda e: e.kind,
    "actor": lambda e: e.actor,
    "entity": lambda e: e.entity.value,
    "entity_id": lambda e: e.entity_id,
    "revision": lambda e: e.revision,
    "before": lambda e: _json(e.before),
    "after": lambda e: _json(e.after),
}
_LICENCE_COLUMNS = ("licence_id", "name", "status", "created_at", "updated_at")


def _json(value: Any) -> str:
    return orjson.dumps(value).decode() if value is not None else ""


class ControlWriter:
    def __init__(self, clickhouse: ClickHouse) -> None:
        self._clickhouse = clickhouse

    async def _insert(
        self, table: str, row: dict[str, Callable[[ControlEvent], Any]], events: list[ControlEvent]
    ) -> None:
        if events:
            columns = [[read(event) for event in events] for read in row.values()]
            await self._clickhouse.ainsert_columns(table, tuple(row), columns)

    async def write(self, events: Sequence[ControlEvent]) -> None:
        licences = [
            LicenceDoc.model_validate(e.after) for e in events if e.entity is Entity.LICENCE
        ]
        if licences:
            await self._clickhouse.ainsert_columns(
                "licences",
                _LICENCE_COLUMNS,
                [[getattr(doc, column) for doc in licences] for column in _LICENCE_COLUMNS],
            )
        await self._insert(
            "control_entities", _ENTITY_ROW, [e for e in events if e.entity is not Entity.LICENCE]
        )
        await self._insert("control_audit", _AUDIT_ROW, list(events))


def _readable(faust_event: Any) -> ControlEvent | None:
    """A record we cannot read (a foreign producer's) is logged and skipped, never retried."""
    try:
        return ControlEvent.model_validate_json(faust_event.value)
    except ValidationError as exc:
        message = faust_event.message
        log.error(
            "control_record_unreadable",
            partition=message.partition,
            offset=message.offset,
            error=str(exc),
        )
        return None


def register_control_projection(
    app: Any,
    control_topic: Any,
    writer: ControlWriter,
    on_done: Callable[[Any], None] = lambda _: None,
) -> Any:
    # A short window: a command's HTTP answer waits for this projection.
    @app.agent(control_topic, name="project-control")
    async def project(stream: Any) -> None:
        async for faust_events in acked_batches(stream, 500, 0.02, on_done):
            events = [event for e in faust_events if (event := _readable(e)) is not None]
            await retry_transient(partial(writer.write, events), "control_projection_insert")
            log.debug("control_projected", events=len(events))

    return project
