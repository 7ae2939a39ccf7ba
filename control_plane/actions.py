"""Remote actions as the control plane records them: what status a merchant sees, which two
actions are the same request, the event that records an action's change."""

from __future__ import annotations

from datetime import datetime

from control_plane.bus import ControlBus, new_event
from control_plane.store import Revision
from schemas.actions import ActionName
from schemas.control import ActionStatus, ControlEvent, ControlKind, Entity, RemoteActionDoc

DONE: frozenset[str] = frozenset({"succeeded", "failed", "cancelled", "expired"})


def visible_status(doc: RemoteActionDoc, now: datetime) -> ActionStatus:
    if doc.status == "pending" and doc.expires_at <= now:
        return "expired"
    return doc.status


def dedup_key(action: ActionName, order_reference: str | None) -> str:
    return f"{action.value}\x1f{order_reference or ''}"


async def licence_actions(bus: ControlBus, licence_id: str) -> list[RemoteActionDoc]:
    return [r.doc(RemoteActionDoc) for r in await bus.store.current([licence_id], Entity.ACTION)]


def action_event(
    licence_id: str,
    kind: ControlKind,
    actor: str,
    doc: RemoteActionDoc,
    before: Revision | None = None,
) -> ControlEvent:
    return new_event(
        licence_id=licence_id,
        kind=kind,
        actor=actor,
        entity=Entity.ACTION,
        entity_id=doc.action_id,
        before=before,
        after=doc,
        status=doc.status,
        dedup_key=dedup_key(doc.action, doc.order_reference),
    )
