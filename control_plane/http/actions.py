"""The remote-action queue: a licence's members enqueue and cancel, its readers list; the
connector runs them at its next sync (control_plane/handshake.py), never at once.

An action not dispatched before `expires_at` is shown as expired at once, and recorded as such
(action.expired) by the next sync handshake.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import BaseModel

from control_plane.actions import action_event, dedup_key, licence_actions, visible_status
from control_plane.bus import ControlBus
from control_plane.http.common import (
    COMMAND,
    Bus,
    CommandLimit,
    StorableBody,
    commit,
    not_found,
)
from control_plane.store import Revision
from infra.http_errors import Conflict, NotFound, errors, invalid
from infra.http_state import from_state
from licences.http import MemberPrincipal, ReaderPrincipal
from schemas.actions import ACTIONS, ActionName
from schemas.control import (
    ActionRequest,
    ActionStatus,
    Entity,
    RemoteActionDoc,
)

router = APIRouter(tags=["remote actions"], dependencies=[StorableBody])


class ActionLabel(BaseModel):
    action: ActionName
    label_fr: str
    label_en: str
    needs_order_reference: bool


class ActionOut(BaseModel):
    action_id: str
    action: ActionName
    label_fr: str
    label_en: str
    order_reference: str | None
    source_event_id: uuid.UUID | None
    status: ActionStatus
    created_at: datetime
    created_by: str
    expires_at: datetime
    dispatched_at: datetime | None
    finished_at: datetime | None
    output: str | None


def action_out(doc: RemoteActionDoc, now: datetime) -> ActionOut:
    spec = ACTIONS[doc.action]
    return ActionOut(
        **doc.model_dump(exclude={"status"}),
        status=visible_status(doc, now),
        label_fr=spec.label_fr,
        label_en=spec.label_en,
    )


async def _current(bus: ControlBus, licence_id: str, action_id: str) -> Revision:
    found = await bus.store.one(licence_id, Entity.ACTION, action_id)
    if found is None:
        raise not_found("action", action_id)
    return found


@router.get("/v1/actions/catalog", response_model=list[ActionLabel])
async def catalog(_: ReaderPrincipal) -> list[ActionLabel]:
    return [
        ActionLabel(
            action=name,
            label_fr=spec.label_fr,
            label_en=spec.label_en,
            needs_order_reference=spec.needs_order_reference,
        )
        for name, spec in ACTIONS.items()
    ]


@router.get("/v1/actions", response_model=list[ActionOut])
async def list_actions(
    principal: ReaderPrincipal,
    bus: Bus,
    state: Annotated[
        list[ActionStatus], Query(alias="status", description="repeatable; default: all")
    ] = [],  # noqa: B006
) -> list[ActionOut]:
    now = datetime.now(UTC)
    found = [action_out(doc, now) for doc in await licence_actions(bus, principal.licence_id)]
    return [a for a in found if not state or a.status in state]


@dataclass(frozen=True)
class ActionPolicy:
    ttl_seconds: int
    """A remote action not fetched by a sync within this expires (unless the request says)."""


@router.post(
    "/v1/actions",
    status_code=status.HTTP_201_CREATED,
    response_model=ActionOut,
    responses={**COMMAND, **errors(Conflict)},
    dependencies=[CommandLimit],
)
async def enqueue_action(
    body: ActionRequest,
    principal: MemberPrincipal,
    bus: Bus,
    response: Response,
    policy: Annotated[ActionPolicy, Depends(from_state("action_policy", ActionPolicy))],
) -> ActionOut:
    spec = ACTIONS[body.action]
    if spec.needs_order_reference and not body.order_reference:
        raise invalid(
            "body",
            "order_reference",
            f"« {spec.label_en} » needs the order's reference",
            fr=f"« {spec.label_fr} » demande la référence de la commande",
        )
    if not spec.needs_order_reference and body.order_reference:
        raise invalid(
            "body",
            "order_reference",
            f"« {spec.label_en} » takes no order reference",
            fr=f"« {spec.label_fr} » ne prend pas de référence de commande",
        )
    if body.source_event_id is not None and not await _event_exists(
        bus, principal.licence_id, body.source_event_id
    ):
        raise invalid(
            "body",
            "source_event_id",
            "no report line with this event_id in this licence",
            fr="aucune ligne de rapport de cette licence n’a cet event_id",
        )
    key = dedup_key(body.action, body.order_reference)
    now = datetime.now(UTC)
    ttl = body.expires_in_seconds or policy.ttl_seconds
    async with bus.lock(principal.licence_id):
        for doc in await licence_actions(bus, principal.licence_id):
            if (
                visible_status(doc, now) == "pending"
                and dedup_key(doc.action, doc.order_reference) == key
            ):
                raise Conflict(
                    "action_pending",
                    f"La même action est déjà en attente : {doc.action_id} "
                    f"(« {spec.label_fr} ») ; annulez-la ou attendez la prochaine synchronisation.",
                    f"the same action is already pending: {doc.action_id} "
                    f"(« {spec.label_en} »); cancel it or wait for the next sync",
                    pending_action_id=doc.action_id,
                )
        doc = RemoteActionDoc(
            action_id=str(uuid.uuid4()),
            action=body.action,
            order_reference=body.order_reference,
            source_event_id=body.source_event_id,
            status="pending",
            created_at=now,
            created_by=principal.actor,
            expires_at=now + timedelta(seconds=ttl),
        )
        await commit(
            bus,
            [action_event(principal.licence_id, "action.enqueued", principal.actor, doc)],
            response,
        )
    return action_out(doc, now)


async def _event_exists(bus: ControlBus, licence_id: str, event_id: uuid.UUID) -> bool:
    rows = await bus.store.clickhouse.arows(
        "SELECT count() FROM sync_events "
        "WHERE licence_id = {licence_id:String} AND event_id = {event_id:UUID}",
        {"licence_id": licence_id, "event_id": event_id},
    )
    return bool(rows[0][0])


@router.post(
    "/v1/actions/{action_id}/cancel",
    response_model=ActionOut,
    responses={**COMMAND, **errors(NotFound, Conflict)},
    dependencies=[CommandLimit],
)
async def cancel_action(
    action_id: str, principal: MemberPrincipal, bus: Bus, response: Response
) -> ActionOut:
    now = datetime.now(UTC)
    async with bus.lock(principal.licence_id):
        before = await _current(bus, principal.licence_id, action_id)
        doc = before.doc(RemoteActionDoc)
        shown = visible_status(doc, now)
        if shown != "pending":
            raise Conflict(
                "action_not_pending",
                f"L’action {action_id} est {shown} : seule une action en attente s’annule.",
                f"action {action_id} is {shown}: only a pending action can be cancelled",
            )
        cancelled = doc.model_copy(update={"status": "cancelled", "finished_at": now})
        await commit(
            bus,
            [
                action_event(
                    principal.licence_id, "action.cancelled", principal.actor, cancelled, before
                )
            ],
            response,
        )
    return action_out(cancelled, now)
