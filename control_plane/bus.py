"""Commands in: validate against current state, append to the control topic, wait until visible.

Read-your-writes, chosen design: a command is decided against the state ClickHouse holds, under
a per-licence lock of this process, then appended (acks=all) and its answer waits (bounded by
ERO_CONTROL_VISIBLE_TIMEOUT_SECONDS) until the projection has applied it, i.e. until its
command_id is in control_audit. So the next call of the same client, on any API process, sees
the change: two identical enqueues in a row are 201 then 409, and a sync right after an enqueue
dispatches the action. If the projection is late the answer is 202 (accepted, not yet visible).
The lock serialises one licence's commands within a process; API processes behind a load balancer
should route a licence to one process (sticky by licence) for the duplicate check to be exact.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import structlog

from control_plane.store import ControlStore, Revision
from control_plane.ticket_numbers import TICKET_KEY
from infra.log_producer import LogProducer
from schemas.control import ControlEvent, ControlKind, Document, Entity

log = structlog.get_logger(__name__)

_POLL_SECONDS = 0.02


def new_event(
    *,
    licence_id: str,
    kind: ControlKind,
    actor: str,
    entity: Entity,
    after: Document,
    before: Revision | None = None,
    entity_id: str = "",
    status: str = "",
    dedup_key: str = "",
    deleted: bool = False,
) -> ControlEvent:
    """The event that moves an entity from `before` (its current revision) to `after`."""
    return ControlEvent(
        command_id=uuid.uuid4(),
        licence_id=licence_id,
        kind=kind,
        actor=actor,
        issued_at=datetime.now(UTC),
        entity=entity,
        entity_id=entity_id,
        revision=(before.revision if before else 0) + 1,
        status=status,
        dedup_key=dedup_key,
        deleted=deleted,
        before=before.body if before else None,
        after=after.model_dump(mode="json"),
    )


def _key(event: ControlEvent) -> bytes:
    """A licence's events share a partition (its commands are projected in order); a ticket's
    events share the tickets' one partition, whatever the licence (their numbering needs one
    writer: control_plane/ticket_numbers.py)."""
    return TICKET_KEY if event.entity is Entity.TICKET else event.licence_id.encode()


class ControlBus:
    def __init__(
        self, producer: LogProducer, topic: str, store: ControlStore, visible_timeout: float
    ) -> None:
        self._producer = producer
        self._topic = topic
        self.store = store
        self._visible_timeout = visible_timeout
        self._locks: dict[str, asyncio.Lock] = {}

    def lock(self, licence_id: str) -> asyncio.Lock:
        """Held from reading the state a command is decided on until the command is visible."""
        return self._locks.setdefault(licence_id, asyncio.Lock())

    async def commit(self, events: Sequence[ControlEvent]) -> bool:
        """Append (raises LogUnavailable), then True once every event is projected, False if the
        projection did not apply them within the timeout (they are in the log: they will be)."""
        if not events:
            return True
        await self.send(events)
        by_licence: dict[str, list[uuid.UUID]] = {}
        for event in events:
            by_licence.setdefault(event.licence_id, []).append(event.command_id)
        deadline = time.monotonic() + self._visible_timeout
        for licence_id, ids in by_licence.items():
            while not await self.store.applied(licence_id, ids):
                if time.monotonic() > deadline:
                    log.warning("control_command_not_yet_visible", licence_id=licence_id)
                    return False
                await asyncio.sleep(_POLL_SECONDS)
        return True

    async def send(self, events: Sequence[ControlEvent]) -> None:
        """Append (raises LogUnavailable), without waiting for the projection."""
        await self._producer.send_all(
            [
                (
                    self._topic,
                    _key(event),
                    event.__pydantic_serializer__.to_json(event),
                    (),
                )
                for event in events
            ]
        )
        for event in events:
            log.info(
                "control_command_appended",
                command_id=str(event.command_id),
                kind=event.kind,
                licence_id=event.licence_id,
                entity_id=event.entity_id,
            )
