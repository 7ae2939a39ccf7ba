"""The connector's side: the sync handshake and action results (connector key).

At sync start the connector posts its PC key; it gets the active configuration and the pending
actions, which are marked dispatched. The first sync binds the licence to that PC key; a sync
from another machine is refused until the merchant resets the PC key.
"""

from __future__ import annotations

from datetime import UTC, datetime

import structlog
from fastapi import APIRouter, Response
from pydantic import BaseModel

from control_plane.bus import new_event
from control_plane.http.actions import ActionOut, action_event, action_out, visible_status
from control_plane.http.common import Bus, commit, conflict, not_found
from control_plane.http.configurations import active_configuration
from licences.http import ConnectorPrincipal
from licences.store import hash_key
from schemas.configuration import ConnectorConfiguration
from schemas.control import (
    ActionResultRequest,
    AgentDoc,
    ConfigurationDoc,
    ControlEvent,
    Entity,
    PcKeyDoc,
    RemoteActionDoc,
    SyncRequest,
)

log = structlog.get_logger(__name__)
router = APIRouter(tags=["connector"])

ACTOR = "connector"

PC_KEY_MISMATCH = (
    "Cette licence est déjà liée à un autre poste (clé PC différente). Réinitialisez la clé PC "
    "depuis le tableau de bord, puis relancez la synchronisation. / This licence is bound to "
    "another PC (different PC key). Reset the PC key from the dashboard, then sync again."
)


class ActiveConfiguration(BaseModel):
    configuration_id: str
    name: str
    version: int
    document: ConnectorConfiguration


class SyncAnswer(BaseModel):
    licence_id: str
    configuration: ActiveConfiguration | None
    actions: list[ActionOut]


@router.post("/v1/agent/sync", response_model=SyncAnswer)
async def sync(
    body: SyncRequest, principal: ConnectorPrincipal, bus: Bus, response: Response
) -> SyncAnswer:
    licence_id = principal.licence_id
    now = datetime.now(UTC)
    pc_key_hash = hash_key(body.pc_key)
    events: list[ControlEvent] = []
    dispatched: list[RemoteActionDoc] = []
    async with bus.lock(licence_id):
        binding = await bus.store.one(licence_id, Entity.PC_KEY)
        bound = binding.doc(PcKeyDoc).pc_key_hash if binding else None
        if bound is None:
            events.append(
                new_event(
                    licence_id=licence_id,
                    kind="pc_key.bound",
                    actor=ACTOR,
                    entity=Entity.PC_KEY,
                    before=binding,
                    after=PcKeyDoc(pc_key_hash=pc_key_hash, bound_at=now),
                    status="bound",
                )
            )
        elif bound != pc_key_hash:
            raise conflict(PC_KEY_MISMATCH)

        agent = AgentDoc(**body.model_dump(exclude={"pc_key"}))
        seen = await bus.store.one(licence_id, Entity.AGENT)
        if seen is None or seen.doc(AgentDoc) != agent:
            events.append(
                new_event(
                    licence_id=licence_id,
                    kind="agent.reported",
                    actor=ACTOR,
                    entity=Entity.AGENT,
                    before=seen,
                    after=agent,
                )
            )

        for before in await bus.store.current([licence_id], Entity.ACTION):
            doc = before.doc(RemoteActionDoc)
            if doc.status != "pending":
                continue
            if visible_status(doc, now) == "expired":
                expired = doc.model_copy(update={"status": "expired", "finished_at": now})
                events.append(action_event(licence_id, "action.expired", "system", expired, before))
            else:
                sent = doc.model_copy(update={"status": "dispatched", "dispatched_at": now})
                events.append(action_event(licence_id, "action.dispatched", ACTOR, sent, before))
                dispatched.append(sent)
        await commit(bus, events, response)
        active = await active_configuration(bus, licence_id)
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
            version=active.revision,
            document=current.document,
        )
    return SyncAnswer(
        licence_id=licence_id,
        configuration=configuration,
        actions=[action_out(doc, now) for doc in sorted(dispatched, key=lambda d: d.created_at)],
    )


@router.post("/v1/agent/actions/{action_id}/result", response_model=ActionOut)
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
            raise conflict(
                f"action {action_id} is {visible_status(doc, now)}, not dispatched: only an "
                "action received by POST /v1/agent/sync takes a result"
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
