"""The connector's side over HTTP: the sync handshake (control_plane/handshake.py) and action
results (connector key)."""

from __future__ import annotations

from datetime import UTC, datetime

import structlog
from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from control_plane.actions import action_event, visible_status
from control_plane.configurations import active_configuration
from control_plane.handshake import ACTOR, PcKeyMismatch, handshake
from control_plane.http.actions import ActionOut, action_out
from control_plane.http.common import (
    COMMAND,
    Bus,
    CommandLimit,
    StorableBody,
    commit,
    not_found,
)
from infra.http_errors import Conflict, NotFound, errors
from licences.http import ConnectorPrincipal
from schemas.configuration import ConnectorConfiguration
from schemas.control import (
    ActionResultRequest,
    ConfigurationDoc,
    Entity,
    RemoteActionDoc,
    SyncRequest,
)

log = structlog.get_logger(__name__)
router = APIRouter(tags=["connector"], dependencies=[StorableBody])

PC_KEY_MISMATCH_FR = (
    "Cette licence est déjà liée à un autre poste (clé PC différente). Réinitialisez la clé PC "
    "depuis le tableau de bord, puis relancez la synchronisation."
)
PC_KEY_MISMATCH_EN = (
    "This licence is bound to another PC (different PC key). Reset the PC key from the "
    "dashboard, then sync again."
)


class ActiveConfiguration(BaseModel):
    configuration_id: str
    name: str
    connector_id: str | None = Field(
        description="The connector it is for; null: the one for every connector without its own."
    )
    version: int
    document: ConnectorConfiguration


class SyncAnswer(BaseModel):
    licence_id: str
    configuration: ActiveConfiguration | None
    actions: list[ActionOut]


@router.post(
    "/v1/agent/sync",
    response_model=SyncAnswer,
    responses={**COMMAND, **errors(Conflict)},
    dependencies=[CommandLimit],
)
async def sync(
    body: SyncRequest, principal: ConnectorPrincipal, bus: Bus, response: Response
) -> SyncAnswer:
    licence_id = principal.licence_id
    now = datetime.now(UTC)
    async with bus.lock(licence_id):
        try:
            found = await handshake(bus.store, licence_id, body, now)
        except PcKeyMismatch as exc:
            raise Conflict("pc_key_mismatch", PC_KEY_MISMATCH_FR, PC_KEY_MISMATCH_EN) from exc
        dispatched = found.dispatched
        await commit(bus, found.events, response)
        active = await active_configuration(bus, licence_id, body.connector_id)
    log.info(
        "agent_synced",
        dispatched=[doc.action_id for doc in dispatched],
        configuration_id=active.entity_id if active else None,
        connector_version=body.connector_version,
    )

    configuration = None
    if active is not None:
        current = active.doc(ConfigurationDoc)
        configuration = ActiveConfiguration(
            configuration_id=current.configuration_id,
            name=current.name,
            connector_id=current.connector_id,
            version=active.revision,
            document=current.document,
        )
    return SyncAnswer(
        licence_id=licence_id,
        configuration=configuration,
        actions=[action_out(doc, now) for doc in sorted(dispatched, key=lambda d: d.created_at)],
    )


@router.post(
    "/v1/agent/actions/{action_id}/result",
    response_model=ActionOut,
    responses={**COMMAND, **errors(NotFound, Conflict)},
    dependencies=[CommandLimit],
)
async def action_result(
    action_id: str,
    body: ActionResultRequest,
    principal: ConnectorPrincipal,
    bus: Bus,
    response: Response,
) -> ActionOut:
    now = datetime.now(UTC)
    async with bus.lock(principal.licence_id):
        before = await bus.store.one(principal.licence_id, Entity.ACTION, action_id)
        if before is None:
            raise not_found("action", action_id)
        doc = before.doc(RemoteActionDoc)
        if doc.status != "dispatched":
            shown = visible_status(doc, now)
            raise Conflict(
                "action_not_dispatched",
                f"L’action {action_id} est {shown}, non transmise : seule une action reçue par "
                "POST /v1/agent/sync prend un résultat.",
                f"action {action_id} is {shown}, not dispatched: only an action received by "
                "POST /v1/agent/sync takes a result",
            )
        done = doc.model_copy(
            update={
                "status": "succeeded" if body.success else "failed",
                "finished_at": now,
                "output": body.output,
            }
        )
        await commit(
            bus,
            [action_event(principal.licence_id, "action.result", ACTOR, done, before)],
            response,
        )
    return action_out(done, now)
