"""The connector's sync handshake: what one sync start changes and what the connector gets.

At sync start the connector posts its PC key; it gets the active configuration and the pending
actions, which are marked dispatched (or expired, past their time). The first sync binds the
licence to that PC key; a sync from another machine is refused until the merchant resets it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from control_plane.actions import action_event, visible_status
from control_plane.bus import new_event
from control_plane.store import ControlStore
from licences.store import hash_key
from schemas.control import AgentDoc, ControlEvent, Entity, PcKeyDoc, RemoteActionDoc, SyncRequest

ACTOR = "connector"


class PcKeyMismatch(RuntimeError):
    """The licence is bound to another PC: the merchant must reset the PC key first."""


@dataclass
class Handshake:
    """The events one sync start records, and the actions it hands to the connector."""

    events: list[ControlEvent] = field(default_factory=list)
    dispatched: list[RemoteActionDoc] = field(default_factory=list)


async def handshake(
    store: ControlStore, licence_id: str, request: SyncRequest, now: datetime
) -> Handshake:
    """Reads the licence's state and decides (raises PcKeyMismatch); the caller holds the
    licence's lock and commits the events."""
    found = Handshake()
    pc_key_hash = hash_key(request.pc_key)
    binding = await store.one(licence_id, Entity.PC_KEY)
    bound = binding.doc(PcKeyDoc).pc_key_hash if binding else None
    if bound is None:
        found.events.append(
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
        raise PcKeyMismatch(licence_id)

    agent = AgentDoc(**request.model_dump(exclude={"pc_key"}))
    seen = await store.one(licence_id, Entity.AGENT)
    if seen is None or seen.doc(AgentDoc) != agent:
        found.events.append(
            new_event(
                licence_id=licence_id,
                kind="agent.reported",
                actor=ACTOR,
                entity=Entity.AGENT,
                before=seen,
                after=agent,
            )
        )

    for before in await store.current([licence_id], Entity.ACTION):
        doc = before.doc(RemoteActionDoc)
        if doc.status != "pending":
            continue
        if visible_status(doc, now) == "expired":
            expired = doc.model_copy(update={"status": "expired", "finished_at": now})
            found.events.append(
                action_event(licence_id, "action.expired", "system", expired, before)
            )
        else:
            sent = doc.model_copy(update={"status": "dispatched", "dispatched_at": now})
            found.events.append(action_event(licence_id, "action.dispatched", ACTOR, sent, before))
            found.dispatched.append(sent)
    return found
