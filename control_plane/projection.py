"""The control projection agent: control events -> control_entities + control_audit, then ack.

Entity rows are inserted before audit rows: a command_id in control_audit means its change is
readable, which is what the command bus waits for. Licence status changes go to `licences`.

One licence's command must never stop the others': a record that cannot be read or stored is
dead-lettered with its reason, and the next records are projected (a poison record once kept
the agent failing on it for ever, and every later command of every licence waited).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

import orjson
import structlog
from pydantic import ValidationError

from control_plane.ticket_numbers import TicketNumbering
from infra.clickhouse import ClickHouse
from infra.log_producer import LogProducer
from infra.retry import retry_transient
from schemas.control import ControlEvent, Entity, LicenceDoc
from schemas.dead_letter import CONTROL_SOURCE, FieldError, field_errors, record_letter
from schemas.storable import unstorable
from streaming.acked_batches import acked_batches
from streaming.dead_letter_limit import DeadLetterGuard

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
        self._numbering = TicketNumbering(clickhouse)

    async def _insert(
        self, table: str, row: dict[str, Callable[[ControlEvent], Any]], events: list[ControlEvent]
    ) -> None:
        if events:
            columns = [[read(event) for event in events] for read in row.values()]
            await self._clickhouse.ainsert_columns(table, tuple(row), columns)

    async def write(self, events: Sequence[ControlEvent]) -> None:
        events = await self._numbering.stamp(events)
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


@dataclass(frozen=True)
class _Record:
    """One control record of a batch: the Faust message, and its event once read."""

    message: Any
    event: ControlEvent | None
    problems: list[FieldError]


def _read(faust_event: Any) -> _Record:
    """A record we cannot read (a foreign producer's) or whose documents no store could hold
    (schemas/storable.py) is never stored: it becomes a dead letter, with why."""
    message = faust_event.message
    try:
        event = ControlEvent.model_validate_json(faust_event.value)
    except ValidationError as exc:
        return _Record(message, None, field_errors(exc))
    for name, document in (("after", event.after), ("before", event.before)):
        problem = unstorable(document, (name,))
        if problem is not None:
            return _Record(message, None, [FieldError(field=problem.dotted, reason=problem.reason)])
    return _Record(message, event, [])


class ControlProjection:
    """Projects one batch of control records; what cannot be stored is dead-lettered (on the
    dead-letter topic, shown by the dead-letter desk) and the stream goes on.

    Called by the agent once per batch, before the batch is acked; blocks while ClickHouse or
    the broker is down (transient failures are retried, infra/retry.py); raises only what the
    dead-letter append cannot survive (the batch is then re-consumed)."""

    def __init__(
        self,
        writer: ControlWriter,
        producer: LogProducer,
        dead_letter_topic: str,
        guard: DeadLetterGuard,
    ) -> None:
        """`guard` stops the agent when nearly every record is refused (a bad deploy, not one
        licence's poison: docs/decisions/0007)."""
        self._writer = writer
        self._producer = producer
        self._dead_letter_topic = dead_letter_topic
        self._guard = guard

    async def _write(self, events: list[ControlEvent]) -> None:
        await retry_transient(partial(self._writer.write, events), "control_projection_insert")

    async def _store(self, records: list[_Record]) -> list[_Record]:
        """Store the readable records' events; returns those whose event could not be."""
        readable = [record for record in records if record.event is not None]
        try:
            await self._write([record.event for record in readable if record.event])
            return []
        except Exception as exc:  # not transient: which event is it?
            if len(readable) == 1:
                return [_Record(readable[0].message, None, _not_stored(exc))]
        failed = []
        for record in readable:  # one at a time: a few commands, rare; keys absorb rewrites
            try:
                await self._write([record.event] if record.event else [])
            except Exception as exc:
                failed.append(_Record(record.message, None, _not_stored(exc)))
        return failed

    async def project(self, faust_events: Sequence[Any]) -> int:
        """Returns how many records were dead-lettered."""
        records = [_read(faust_event) for faust_event in faust_events]
        refused = [record for record in records if record.problems]
        refused += await self._store([record for record in records if not record.problems])
        for _ in range(len(records) - len(refused)):
            self._guard.accepted()
        for _ in refused:
            self._guard.rejected()
        if refused:
            await retry_transient(
                partial(self._producer.send_all, [self._letter(r) for r in refused]),
                "control_dead_letter_append",
            )
        for record in refused:
            message = record.message
            log.error(
                "control_record_dead_lettered",
                licence_id=(message.key or b"").decode("utf-8", "replace"),
                partition=message.partition,
                offset=message.offset,
                reason=f"{record.problems[0].field}: {record.problems[0].reason}",
            )
        return len(refused)

    def _letter(self, record: _Record) -> tuple[str, bytes, bytes, tuple[()]]:
        message = record.message
        received_at = datetime.fromtimestamp(message.timestamp, UTC)
        letter = record_letter(message, received_at, record.problems, CONTROL_SOURCE)
        return (self._dead_letter_topic, message.key or b"", letter.model_dump_json().encode(), ())


def _not_stored(exc: Exception) -> list[FieldError]:
    text = " ".join(str(exc).split())  # one line, whatever the exception printed
    return [
        FieldError(
            field="(record)", reason=f"could not be stored ({type(exc).__name__}): {text}"[:500]
        )
    ]


def register_control_projection(
    app: Any,
    control_topic: Any,
    projection: ControlProjection,
    on_done: Callable[[Any], None] = lambda _: None,
) -> Any:
    # A short window: a command's HTTP answer waits for this projection.
    @app.agent(control_topic, name="project-control")
    async def project(stream: Any) -> None:
        async for faust_events in acked_batches(stream, 500, 0.02, on_done):
            refused = await projection.project(faust_events)
            log.debug("control_projected", events=len(faust_events), dead_lettered=refused)

    return project
