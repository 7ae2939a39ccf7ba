"""The support's answer e-mailed to the merchant, on the real chdb: sent once by the delivery
desk, and not again when the control log is projected a second time (a replay) and a fresh desk
(a restarted worker, remembering nothing) looks for what is due."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import cast

from control_plane.bus import ControlBus, new_event
from control_plane.delivery import DeliveryDesk, MerchantChannel, merchant_notice
from control_plane.projection import ControlWriter
from control_plane.store import ControlStore
from control_plane.tickets import TicketStore
from infra.clickhouse import ClickHouse
from infra.log_producer import LogProducer
from infra.mail import Mail
from schemas.control import AgentDoc, ControlEvent, Entity, TicketDeliveryDoc, TicketDoc


class _Projected(ControlBus):
    """The control log as a list, projected as it is appended."""

    def __init__(self, clickhouse: ClickHouse) -> None:
        super().__init__(cast(LogProducer, None), "control", ControlStore(clickhouse), 10.0)
        self.writer = ControlWriter(clickhouse)
        self.log: list[ControlEvent] = []

    async def send(self, events: Sequence[ControlEvent]) -> None:
        self.log.extend(events)
        await self.writer.write(list(events))


class _Outbox:
    def __init__(self) -> None:
        self.sent: list[Mail] = []

    async def send(self, mail: Mail) -> None:
        self.sent.append(mail)


def _desk(bus: ControlBus, clickhouse: ClickHouse, outbox: _Outbox) -> DeliveryDesk:
    channel = MerchantChannel(outbox, "https://ero.example/")
    return DeliveryDesk(bus, TicketStore(clickhouse), [channel], per_pass=20)


async def test_an_answer_is_e_mailed_once_even_after_a_replay(clickhouse: ClickHouse) -> None:
    bus, outbox = _Projected(clickhouse), _Outbox()
    licence_id = f"notices-{uuid.uuid4().hex[:8]}"
    now = datetime.now(UTC)
    ticket = TicketDoc(
        ticket_id=str(uuid.uuid4()), subject="Stock faux", message="m",
        email="gerant@dupont.example", shop_url=None, agent=AgentDoc(),
        active_configuration=None, error_groups=[], status="open", created_at=now,
        created_by="reader",
    )  # fmt: skip
    created = new_event(
        licence_id=licence_id, kind="ticket.created", actor="reader", entity=Entity.TICKET,
        entity_id=ticket.ticket_id, after=ticket, status="open",
    )  # fmt: skip
    entity_id, pending = merchant_notice(ticket, "answered", "r-1", "Relancez la synchro.")
    notice = new_event(
        licence_id=licence_id, kind="ticket.delivery_attempted", actor="system",
        entity=Entity.TICKET_DELIVERY, entity_id=entity_id, after=pending, status="pending",
    )  # fmt: skip
    assert await bus.commit([created, notice])

    assert await _desk(bus, clickhouse, outbox).run_pass() == 1
    [mail] = outbox.sent
    assert mail.to == "gerant@dupont.example"
    number = await bus.store.one(licence_id, Entity.TICKET, ticket.ticket_id)
    assert number is not None
    shown = number.doc(TicketDoc).number
    assert mail.subject.startswith(f"[{shown}] Réponse du support : Stock faux / ")
    assert f"https://ero.example/#/assistance?ticket={shown}" in mail.text
    assert "Relancez la synchro." in mail.text
    delivered = await bus.store.one(licence_id, Entity.TICKET_DELIVERY, entity_id)
    assert delivered is not None
    assert delivered.doc(TicketDeliveryDoc).state == "delivered"

    await bus.writer.write(list(bus.log))  # the control topic replayed from its beginning
    assert await _desk(bus, clickhouse, outbox).run_pass() == 0
    assert len(outbox.sent) == 1
