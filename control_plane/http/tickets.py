"""Support tickets, the merchant's side (« Assistance »): the licence's tickets and their
threads, a new ticket pre-filled from what ERO knows (account e-mail, shop URL and phone,
connector versions, active configuration, the licence's error groups of the last 48 hours), and
the merchant's replies. Every read is the caller's licence's; a viewer reads, a member writes.

A ticket is named by its number (ERO-YYYY-NNNNNN, control_plane/ticket_numbers.py), never by its
id. The operators' side is control_plane/http/admin_tickets.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response, status
from pydantic import BaseModel, Field

from control_plane.bus import ControlBus, new_event
from control_plane.configurations import active_configuration, active_configurations
from control_plane.delivery import SupportDelivery, delivery_id, pending_deliveries
from control_plane.http.common import COMMAND, Bus, StorableBody, TicketLimit, commit
from control_plane.store import Revision
from control_plane.tickets import MAX_PAGE, StoredTicket, TicketStore
from infra.http_errors import NotFound, errors, invalid
from infra.http_state import from_state
from licences.http import MemberPrincipal, ReaderPrincipal
from query_api.groups import licence_groups
from schemas import Level
from schemas.control import (
    AccountDoc,
    AgentDoc,
    ConfigurationDoc,
    ControlEvent,
    ControlKind,
    Entity,
    ErrorGroup,
    TicketDoc,
    TicketReplyDoc,
    TicketReplyRequest,
    TicketRequest,
    TicketStatus,
)

router = APIRouter(tags=["support tickets"], dependencies=[StorableBody])

ERROR_WINDOW = timedelta(hours=48)
MAX_ERROR_GROUPS = 20

Delivery = Annotated[SupportDelivery, Depends(from_state("support_delivery", SupportDelivery))]
Number = Annotated[
    str,
    Path(
        pattern=r"^ERO-[0-9]{4}-[0-9]{6}$",
        max_length=15,
        description="The ticket's number, ERO-YYYY-NNNNNN.",
        examples=["ERO-2026-000001"],
    ),
]
Statuses = Annotated[
    list[TicketStatus], Query(alias="status", description="repeatable; default: all")
]
PageLimit = Annotated[int, Query(ge=1, le=MAX_PAGE)]
Before = Annotated[
    str,
    Query(
        pattern=r"^(ERO-[0-9]{4}-[0-9]{6})?$",
        max_length=15,
        description="The page's cursor: tickets numbered before this one (`next_before`).",
    ),
]


class TicketDraft(BaseModel):
    email: str | None
    shop_url: str | None
    phone: str | None
    agent: AgentDoc
    agent_reported_at: datetime | None
    active_configuration: ConfigurationDoc | None
    active_configurations: list[ConfigurationDoc] = Field(
        description="Each connector's active configuration (`connector_id` null: the one for "
        "every connector without its own)."
    )
    error_groups: list[ErrorGroup]


class TicketPage(BaseModel):
    items: list[TicketDoc] = Field(description="Newest number first.")
    next_before: str | None = Field(description="The next page's `before`; null: no more.")


class TicketThread(BaseModel):
    ticket: TicketDoc
    replies: list[TicketReplyDoc] = Field(description="Oldest first.")


def ticket_not_found(number: str) -> NotFound:
    return NotFound(
        "ticket_not_found",
        f"Aucun ticket {number} dans cette licence.",
        f"no ticket {number} in this licence",
    )


def tickets_of(bus: ControlBus) -> TicketStore:
    return TicketStore(bus.store.clickhouse)


def page_of(found: Sequence[StoredTicket], limit: int) -> TicketPage:
    items = [stored.ticket for stored in found]
    last = items[-1].number if len(items) == limit else None
    return TicketPage(items=items, next_before=last)


def author_of(actor: str) -> str:
    """How a thread names who wrote: the person's name, else their e-mail (or the key's name)."""
    name, address = parseaddr(actor)
    return name or address or actor


async def _error_groups(bus: ControlBus, licence_id: str) -> list[ErrorGroup]:
    """The licence's error groups of the last 48 h, as the ticket keeps them."""
    until = datetime.now(UTC)
    groups = await licence_groups(
        bus.store.clickhouse, licence_id, until - ERROR_WINDOW, until, MAX_ERROR_GROUPS, Level.ERROR
    )
    return [
        ErrorGroup(
            fingerprint=group.fingerprint,
            operation=group.operation,
            origin=group.origin.value,
            count=group.count,
            last_at=group.last_seen,
            message=group.sample_message,
            action=group.remediation.action,
        )
        for group in groups
    ]


async def draft_of(bus: ControlBus, licence_id: str) -> TicketDraft:
    account_row = await bus.store.one(licence_id, Entity.ACCOUNT)
    agent_row = await bus.store.one(licence_id, Entity.AGENT)
    account = account_row.doc(AccountDoc) if account_row else AccountDoc()
    agent = agent_row.doc(AgentDoc) if agent_row else AgentDoc()
    active = await active_configuration(bus, licence_id)
    return TicketDraft(
        email=account.email,
        shop_url=account.shop_url or agent.shop_url,
        phone=account.phone,
        agent=agent,
        agent_reported_at=agent_row.updated_at if agent_row else None,
        active_configuration=active.doc(ConfigurationDoc) if active else None,
        active_configurations=await active_configurations(bus, licence_id),
        error_groups=await _error_groups(bus, licence_id),
    )


def ticket_change(
    stored: Revision,
    licence_id: str,
    actor: str,
    kind: ControlKind,
    changes: dict[str, Any],
) -> ControlEvent:
    """The ticket's next revision: `changes` applied, updated now."""
    ticket = stored.doc(TicketDoc).model_copy(update={**changes, "updated_at": datetime.now(UTC)})
    return new_event(
        licence_id=licence_id,
        kind=kind,
        actor=actor,
        entity=Entity.TICKET,
        entity_id=ticket.ticket_id,
        before=stored,
        after=ticket,
        status=ticket.status,
    )


def reply_event(
    ticket: TicketDoc, licence_id: str, actor: str, side: str, message: str
) -> tuple[TicketReplyDoc, ControlEvent]:
    reply = TicketReplyDoc.model_validate(
        {
            "reply_id": str(uuid.uuid4()),
            "ticket_id": ticket.ticket_id,
            "side": side,
            "author": author_of(actor),
            "message": message,
            "created_at": datetime.now(UTC),
        }
    )
    event = new_event(
        licence_id=licence_id,
        kind="ticket.replied",
        actor=actor,
        entity=Entity.TICKET_REPLY,
        entity_id=f"{ticket.ticket_id}:{reply.reply_id}",
        after=reply,
        status=side,
    )
    return reply, event


async def _found(bus: ControlBus, number: str, licence_id: str) -> StoredTicket:
    stored = await tickets_of(bus).by_number(number, licence_id)
    if stored is None:
        raise ticket_not_found(number)
    return stored


@router.get("/v1/tickets/draft", response_model=TicketDraft, summary="A pre-filled ticket")
async def ticket_draft(principal: ReaderPrincipal, bus: Bus) -> TicketDraft:
    return await draft_of(bus, principal.licence_id)


@router.get("/v1/tickets", response_model=TicketPage, summary="The licence's tickets")
async def list_tickets(
    principal: ReaderPrincipal,
    bus: Bus,
    statuses: Statuses = [],  # noqa: B006 (FastAPI copies it)
    limit: PageLimit = 50,
    before: Before = "",
) -> TicketPage:
    found = await tickets_of(bus).page(
        principal.licence_id, statuses=statuses, before=before, limit=limit
    )
    return page_of(found, limit)


@router.get(
    "/v1/tickets/{number}",
    response_model=TicketThread,
    responses=errors(NotFound),
    summary="A ticket and its replies",
)
async def get_ticket(number: Number, principal: ReaderPrincipal, bus: Bus) -> TicketThread:
    stored = await _found(bus, number, principal.licence_id)
    ticket = stored.ticket
    thread = await tickets_of(bus).thread(principal.licence_id, ticket.ticket_id)
    return TicketThread(ticket=ticket, replies=thread.replies)


@router.post(
    "/v1/tickets",
    status_code=status.HTTP_201_CREATED,
    response_model=TicketDoc,
    responses=COMMAND,
    dependencies=[TicketLimit],
    summary="Open a ticket",
)
async def create_ticket(
    body: TicketRequest,
    principal: MemberPrincipal,
    bus: Bus,
    response: Response,
    support: Delivery,
) -> TicketDoc:
    """Lands in the vendor's support inbox, and is delivered to the webhook and/or support
    mailbox configured (retried until delivered). `number` is null in a 202 answer (not yet
    visible): the list gives it a moment later."""
    licence_id = principal.licence_id
    draft = await draft_of(bus, licence_id)
    email = body.email or draft.email
    if email is None:
        raise invalid(
            "body",
            "email",
            "no account e-mail on file: send `email`, or set it on the account page",
            fr="aucune adresse e-mail sur le compte : indiquez-en une, ou renseignez-la sur la "
            "page Compte",
        )
    now = datetime.now(UTC)
    ticket = TicketDoc(
        ticket_id=str(uuid.uuid4()),
        subject=body.subject,
        message=body.message,
        email=email,
        shop_url=body.shop_url or draft.shop_url,
        phone=draft.phone,
        agent=draft.agent,
        agent_reported_at=draft.agent_reported_at,
        active_configuration=draft.active_configuration,
        active_configurations=draft.active_configurations,
        error_groups=draft.error_groups,
        status="open",
        created_at=now,
        created_by=principal.actor,
        updated_at=now,
    )
    events = [
        new_event(
            licence_id=licence_id,
            kind="ticket.created",
            actor=principal.actor,
            entity=Entity.TICKET,
            entity_id=ticket.ticket_id,
            after=ticket,
            status=ticket.status,
        ),
        *(
            new_event(
                licence_id=licence_id,
                kind="ticket.delivery_attempted",
                actor="system",
                entity=Entity.TICKET_DELIVERY,
                entity_id=delivery_id(ticket.ticket_id, delivery.channel),
                after=delivery,
                status=delivery.state,
            )
            for delivery in pending_deliveries(ticket, support.channel_names())
        ),
    ]
    await commit(bus, events, response)
    numbered = await bus.store.one(licence_id, Entity.TICKET, ticket.ticket_id)
    return numbered.doc(TicketDoc) if numbered else ticket


@router.post(
    "/v1/tickets/{number}/replies",
    status_code=status.HTTP_201_CREATED,
    response_model=TicketReplyDoc,
    responses={**COMMAND, **errors(NotFound)},
    dependencies=[TicketLimit],
    summary="Reply to a ticket",
)
async def reply_to_ticket(
    number: Number,
    body: TicketReplyRequest,
    principal: MemberPrincipal,
    bus: Bus,
    response: Response,
) -> TicketReplyDoc:
    """A reply to a resolved ticket opens it again."""
    licence_id = principal.licence_id
    async with bus.lock(licence_id):
        stored = await _found(bus, number, licence_id)
        ticket = stored.ticket
        reply, event = reply_event(ticket, licence_id, principal.actor, "merchant", body.message)
        status_after = "open" if ticket.status == "resolved" else ticket.status
        change = ticket_change(
            stored.revision, licence_id, principal.actor, "ticket.replied", {"status": status_after}
        )
        await commit(bus, [event, change], response)
    return reply
