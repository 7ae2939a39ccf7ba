"""Support tickets, pre-filled from what ERO knows: account e-mail, shop URL, connector versions,
active configuration, and the licence's error groups of the last 48 hours."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Response, status
from pydantic import BaseModel

from control_plane.bus import ControlBus, new_event
from control_plane.configurations import active_configuration
from control_plane.delivery import SupportDelivery, deliver
from control_plane.http.common import COMMAND, Bus, StorableBody, TicketLimit, commit
from control_plane.store import Revision
from infra.http_errors import invalid
from infra.http_state import from_state
from licences.http import MemberPrincipal, ReaderPrincipal
from query_api.groups import licence_groups
from schemas import Level
from schemas.control import (
    AccountDoc,
    AgentDoc,
    ConfigurationDoc,
    Entity,
    ErrorGroup,
    TicketDoc,
    TicketRequest,
)

router = APIRouter(tags=["support tickets"], dependencies=[StorableBody])

ERROR_WINDOW = timedelta(hours=48)
MAX_ERROR_GROUPS = 20


class TicketDraft(BaseModel):
    email: str | None
    shop_url: str | None
    agent: AgentDoc
    active_configuration: ConfigurationDoc | None
    error_groups: list[ErrorGroup]


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
        agent=agent,
        active_configuration=active.doc(ConfigurationDoc) if active else None,
        error_groups=await _error_groups(bus, licence_id),
    )


@router.get("/v1/tickets/draft", response_model=TicketDraft, summary="A pre-filled ticket")
async def ticket_draft(principal: ReaderPrincipal, bus: Bus) -> TicketDraft:
    return await draft_of(bus, principal.licence_id)


@router.get("/v1/tickets", response_model=list[TicketDoc])
async def list_tickets(principal: ReaderPrincipal, bus: Bus) -> list[TicketDoc]:
    return [
        r.doc(TicketDoc) for r in await bus.store.current([principal.licence_id], Entity.TICKET)
    ]


@router.post(
    "/v1/tickets",
    status_code=status.HTTP_201_CREATED,
    response_model=TicketDoc,
    responses=COMMAND,
    dependencies=[TicketLimit],
)
async def create_ticket(
    body: TicketRequest,
    principal: MemberPrincipal,
    bus: Bus,
    response: Response,
    support: Annotated[SupportDelivery, Depends(from_state("support_delivery", SupportDelivery))],
) -> TicketDoc:
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
    ticket = TicketDoc(
        ticket_id=str(uuid.uuid4()),
        subject=body.subject,
        message=body.message,
        email=email,
        shop_url=body.shop_url or draft.shop_url,
        agent=draft.agent,
        active_configuration=draft.active_configuration,
        error_groups=draft.error_groups,
        status="open",
        created_at=datetime.now(UTC),
        created_by=principal.actor,
    )
    created = new_event(
        licence_id=licence_id,
        kind="ticket.created",
        actor=principal.actor,
        entity=Entity.TICKET,
        entity_id=ticket.ticket_id,
        after=ticket,
        status=ticket.status,
    )
    await commit(bus, [created], response)
    deliveries = await deliver(ticket, support.channels())
    if not deliveries:
        return ticket
    delivered = ticket.model_copy(
        update={
            "deliveries": deliveries,
            "status": "delivered" if all(d.ok for d in deliveries) else "delivery_failed",
        }
    )
    outcome = new_event(
        licence_id=licence_id,
        kind="ticket.delivered",
        actor="system",
        entity=Entity.TICKET,
        entity_id=ticket.ticket_id,
        before=Revision.written_by(created),
        after=delivered,
        status=delivered.status,
    )
    await commit(bus, [outcome], response)
    return delivered
