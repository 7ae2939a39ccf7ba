"""Ticket numbers on the real chdb, through the control projection's writer: consecutive per
year, the same again when the events are projected again (a replay, a batch consumed twice),
carried by the ticket's later revisions."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from control_plane.bus import new_event
from control_plane.projection import ControlWriter
from control_plane.store import ControlStore, Revision
from infra.clickhouse import ClickHouse
from schemas.control import AgentDoc, ControlEvent, Entity, TicketDoc

# Years no other test writes tickets in: the numbering of each starts at 1 here.
YEAR = 2091


def _created(licence_id: str, at: datetime) -> ControlEvent:
    ticket = TicketDoc(
        ticket_id=str(uuid.uuid4()), subject="s", message="m", email="a@b.example",
        shop_url=None, agent=AgentDoc(), active_configuration=None, error_groups=[],
        status="open", created_at=at, created_by="reader",
    )  # fmt: skip
    event = new_event(
        licence_id=licence_id,
        kind="ticket.created",
        actor="reader",
        entity=Entity.TICKET,
        entity_id=ticket.ticket_id,
        after=ticket,
        status="open",
    )
    return event.model_copy(update={"issued_at": at})


async def _number(store: ControlStore, event: ControlEvent) -> str | None:
    row = await store.one(event.licence_id, Entity.TICKET, event.entity_id)
    return row.doc(TicketDoc).number if row else None


async def test_numbers_are_consecutive_per_year_and_replays_keep_them(
    clickhouse: ClickHouse,
) -> None:
    writer, store = ControlWriter(clickhouse), ControlStore(clickhouse)
    at = datetime(YEAR, 3, 1, tzinfo=UTC)
    batch = [_created(f"lic-{n % 2}", at) for n in range(3)]
    await writer.write(batch)
    numbers = [await _number(store, event) for event in batch]
    assert numbers == [f"ERO-{YEAR}-000001", f"ERO-{YEAR}-000002", f"ERO-{YEAR}-000003"]

    await writer.write(batch)  # consumed again, or the log replayed
    await writer.write(batch[1:2])
    assert [await _number(store, event) for event in batch] == numbers

    next_year = _created("lic-0", datetime(YEAR + 1, 1, 1, tzinfo=UTC))
    later = _created("lic-1", datetime(YEAR, 12, 31, 23, 59, tzinfo=UTC))
    await writer.write([next_year, later])
    assert await _number(store, next_year) == f"ERO-{YEAR + 1}-000001"
    assert await _number(store, later) == f"ERO-{YEAR}-000004"


async def test_a_later_revision_keeps_the_number_even_if_decided_before_it_was_given(
    clickhouse: ClickHouse,
) -> None:
    writer, store = ControlWriter(clickhouse), ControlStore(clickhouse)
    created = _created("lic-r", datetime(YEAR + 5, 6, 1, tzinfo=UTC))
    # Decided on the creation's own document (a 202: not yet visible, so without number).
    resolved = new_event(
        licence_id=created.licence_id,
        kind="ticket.status_set",
        actor="operator",
        entity=Entity.TICKET,
        entity_id=created.entity_id,
        before=Revision.written_by(created),
        after=TicketDoc.model_validate({**created.after, "status": "resolved"}),
        status="resolved",
    )
    await writer.write([created])
    await writer.write([resolved])
    row = await store.one(created.licence_id, Entity.TICKET, created.entity_id)
    assert row is not None
    assert (row.revision, row.doc(TicketDoc).status) == (2, "resolved")
    assert row.doc(TicketDoc).number == f"ERO-{YEAR + 5}-000001"
