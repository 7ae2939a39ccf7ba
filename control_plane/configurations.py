"""A licence's configurations as the control plane stores them."""

from __future__ import annotations

from control_plane.bus import ControlBus
from control_plane.store import Revision
from schemas.control import ActiveConfigurationDoc, Entity


async def active_configuration(bus: ControlBus, licence_id: str) -> Revision | None:
    """The licence's active configuration (None when none is active or it was deleted)."""
    active = await bus.store.one(licence_id, Entity.ACTIVE_CONFIGURATION)
    active_id = active.doc(ActiveConfigurationDoc).configuration_id if active else None
    if active_id is None:
        return None
    found = await bus.store.one(licence_id, Entity.CONFIGURATION, active_id)
    return found if found and not found.deleted else None
