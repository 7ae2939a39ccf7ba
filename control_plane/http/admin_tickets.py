"""The vendor's support inbox (operators only): every licence's tickets, one ticket with the
context it was opened with (recent errors, configuration, versions), its thread and deliveries;
an operator replies, assigns (to any operator), resolves and reopens. Each of these is a control
event under the ticket's licence, its actor the operator: the licence's audit trail lists them.
An answer and a resolution are e-mailed to the merchant (a `merchant` delivery, retried until
delivered: control_plane/delivery.py)."""

from __future__ import annotations

import uuid
from email.utils import parseaddr
from typing import Annotated, Protocol

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import BaseModel, Field

from control_plane.bus import new_event
from control_plane.delivery import merchant_notice
from control_plane.http.common import COMMAND, COMMANDS, Bus, StorableBody, commit
from control_plane.http.tickets import (
    Before,
    Number,
    PageLimit,
    Statuses,
    page_of,
    reply_event,
    ticket_change,
    tickets_of,
)
from control_plane.tickets import StoredTicket, TicketStore
from infra.http_errors import NotFound, errors, invalid
from infra.http_state import from_state
from licences.http import OperatorPrincipal, operator_rate_limited
from schemas.control import (
    ControlEvent,
    Entity,
    MerchantNotice,
    TicketAssignRequest,
    TicketDeliveryDoc,
    TicketDoc,
    TicketReplyDoc,
    TicketReplyRequest,
    TicketStatusRequest,
)

router = APIRouter(tags=["operators"], dependencies=[StorableBody])

# Counted with the control commands' limit (ERO_RATE_LIMIT_COMMANDS), per operator.
OperatorLimit = operator_rate_limited(COMMANDS)


class OperatorRoster(Protocol):
    """Who the vendor's operators are (accounts, a layer above: the root sets it)."""

    async def is_operator(self, email: str) -> bool: ...


Roster = Annotated[OperatorRoster, Depends(from_state("operator_roster", OperatorRoster))]


class InboxTicket(BaseModel):
    licence_id: str
    licence_name: str
    ticket: TicketDoc


class InboxPage(BaseModel):
    items: list[InboxTicket] = Field(description="Newest number first.")
    next_before: str | None


class AdminTicketThread(InboxTicket):
    replies: list[TicketReplyDoc] = Field(description="Oldest first.")
    deliveries: list[TicketDeliveryDoc]


def _not_found(number: str) -> NotFound:
    return NotFound("ticket_not_found", f"Aucun ticket {number}.", f"no ticket {number}")


def operator_email(actor: str) -> str:
    """The operator's e-mail, from the actor the session gives ("Name <e-mail>")."""
    return parseaddr(actor)[1]


async def _names(store: TicketStore, licence_ids: set[str]) -> dict[str, str]:
    rows = await store.clickhouse.arows(
        "SELECT licence_id, argMax(name, updated_at) FROM licences "
        "WHERE licence_id IN {ids:Array(String)} GROUP BY licence_id",
        {"ids": sorted(licence_ids)},
    )
    return dict(rows)


def _notice(
    ticket: TicketDoc,
    licence_id: str,
    notice: MerchantNotice,
    key: str,
    message: str | None = None,
) -> ControlEvent:
    """The merchant's e-mail about `ticket`, pending: the delivery desk sends it."""
    entity_id, delivery = merchant_notice(ticket, notice, key, message)
    return new_event(
        licence_id=licence_id,
        kind="ticket.delivery_attempted",
        actor="system",
        entity=Entity.TICKET_DELIVERY,
        entity_id=entity_id,
        after=delivery,
        status=delivery.state,
    )


async def _found(store: TicketStore, number: str) -> StoredTicket:
    stored = await store.by_number(number, None)
    if stored is None:
        raise _not_found(number)
    return stored


@router.get("/v1/admin/tickets", response_model=InboxPage, summary="The support inbox")
async def inbox(
    operator: OperatorPrincipal,
    bus: Bus,
    statuses: Statuses = [],  # noqa: B006 (FastAPI copies it)
    mine: Annotated[bool, Query(description="Only the tickets assigned to the caller.")] = False,
    licence_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: PageLimit = 50,
    before: Before = "",
) -> InboxPage:
    store = tickets_of(bus)
    found = await store.page(
        licence_id,
        statuses=statuses,
        assignee=(operator_email(operator.actor) or operator.actor) if mine else "",
        before=before,
        limit=limit,
    )
    names = await _names(store, {stored.licence_id for stored in found})
    page = page_of(found, limit)
    return InboxPage(
        items=[
            InboxTicket(
                licence_id=stored.licence_id,
                licence_name=names.get(stored.licence_id, stored.licence_id),
                ticket=stored.ticket,
            )
            for stored in found
        ],
        next_before=page.next_before,
    )


async def _thread(store: TicketStore, stored: StoredTicket) -> AdminTicketThread:
    ticket = stored.ticket
    thread = await store.thread(stored.licence_id, ticket.ticket_id)
    names = await _names(store, {stored.licence_id})
    return AdminTicketThread(
        licence_id=stored.licence_id,
        licence_name=names.get(stored.licence_id, stored.licence_id),
        ticket=ticket,
        replies=thread.replies,
        deliveries=thread.deliveries,
    )


@router.get(
    "/v1/admin/tickets/{number}",
    response_model=AdminTicketThread,
    responses=errors(NotFound),
    summary="A ticket, its context, thread and deliveries",
)
async def admin_ticket(number: Number, operator: OperatorPrincipal, bus: Bus) -> AdminTicketThread:
    store = tickets_of(bus)
    return await _thread(store, await _found(store, number))


@router.post(
    "/v1/admin/tickets/{number}/replies",
    status_code=status.HTTP_201_CREATED,
    response_model=TicketReplyDoc,
    responses={**COMMAND, **errors(NotFound)},
    dependencies=[OperatorLimit],
    summary="Answer a ticket",
)
async def answer(
    number: Number,
    body: TicketReplyRequest,
    operator: OperatorPrincipal,
    bus: Bus,
    response: Response,
) -> TicketReplyDoc:
    """An answer to an open ticket puts it in progress; it is e-mailed to the merchant."""
    store = tickets_of(bus)
    licence_id = (await _found(store, number)).licence_id
    async with bus.lock(licence_id):
        stored = await _found(store, number)
        ticket = stored.ticket
        reply, event = reply_event(ticket, licence_id, operator.actor, "vendor", body.message)
        status_after = "in_progress" if ticket.status == "open" else ticket.status
        change = ticket_change(
            stored.revision, licence_id, operator.actor, "ticket.replied", {"status": status_after}
        )
        notice = _notice(ticket, licence_id, "answered", reply.reply_id, body.message)
        await commit(bus, [event, change, notice], response)
    return reply


@router.put(
    "/v1/admin/tickets/{number}/status",
    response_model=AdminTicketThread,
    responses={**COMMAND, **errors(NotFound)},
    dependencies=[OperatorLimit],
    summary="Resolve, reopen, or put in progress",
)
async def set_status(
    number: Number,
    body: TicketStatusRequest,
    operator: OperatorPrincipal,
    bus: Bus,
    response: Response,
) -> AdminTicketThread:
    """A resolution is e-mailed to the merchant."""
    store = tickets_of(bus)
    licence_id = (await _found(store, number)).licence_id
    async with bus.lock(licence_id):
        stored = await _found(store, number)
        if stored.ticket.status != body.status:
            change = ticket_change(
                stored.revision, licence_id, operator.actor, "ticket.status_set",
                {"status": body.status},
            )  # fmt: skip
            events = [change]
            if body.status == "resolved":
                events.append(_notice(stored.ticket, licence_id, "resolved", str(uuid.uuid4())))
            await commit(bus, events, response)
    return await _thread(store, await _found(store, number))


@router.put(
    "/v1/admin/tickets/{number}/assignee",
    response_model=AdminTicketThread,
    responses={**COMMAND, **errors(NotFound)},
    dependencies=[OperatorLimit],
    summary="Assign a ticket to an operator",
)
async def assign(
    number: Number,
    body: TicketAssignRequest,
    operator: OperatorPrincipal,
    bus: Bus,
    roster: Roster,
    response: Response,
) -> AdminTicketThread:
    """An open ticket given to someone is in progress. The assignee is one of the operators
    (`GET /v1/admin/operators`), else 422 `assignee_not_operator`."""
    if body.assignee and not await roster.is_operator(body.assignee):
        raise invalid(
            "body",
            "assignee",
            f"{body.assignee} is not one of the vendor's operators",
            fr=f"{body.assignee} n'est pas un opérateur de l'éditeur",
            code="assignee_not_operator",
        )
    store = tickets_of(bus)
    licence_id = (await _found(store, number)).licence_id
    async with bus.lock(licence_id):
        stored = await _found(store, number)
        ticket = stored.ticket
        if ticket.assignee != body.assignee:
            status_after = (
                "in_progress" if body.assignee and ticket.status == "open" else ticket.status
            )
            change = ticket_change(
                stored.revision, licence_id, operator.actor, "ticket.assigned",
                {"assignee": body.assignee, "status": status_after},
            )  # fmt: skip
            await commit(bus, [change], response)
    return await _thread(store, await _found(store, number))
