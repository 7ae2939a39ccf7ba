"""Operators change a licence's status (active / expired / revoked), as a control command.

Without an active licence every reader and connector call answers 403 « Vous ne possédez pas de
licence » (licences/http.py). The change applies at once in the API process that made it (its
key cache is invalidated) and within the cache TTL (30 s) in other API processes.
"""

from __future__ import annotations

from datetime import UTC, datetime

import structlog
from fastapi import APIRouter, Response

from control_plane.bus import new_event
from control_plane.http.common import COMMAND, Bus, StorableBody, commit, licence_not_found
from infra.http_errors import NotFound, errors
from licences.http import Licences, OperatorPrincipal
from schemas.control import Entity, LicenceDoc, LicenceStatusRequest

log = structlog.get_logger(__name__)
router = APIRouter(tags=["operators"], dependencies=[StorableBody])


@router.post(
    "/v1/admin/licences/{licence_id}/status",
    response_model=LicenceDoc,
    responses={**COMMAND, **errors(NotFound)},
)
async def set_licence_status(
    licence_id: str,
    body: LicenceStatusRequest,
    operator: OperatorPrincipal,
    bus: Bus,
    licences: Licences,
    response: Response,
) -> LicenceDoc:
    async with bus.lock(licence_id):
        before = await licences.record(licence_id)
        if before is None:
            raise licence_not_found(licence_id)
        after = before.model_copy(update={"status": body.status, "updated_at": datetime.now(UTC)})
        event = new_event(
            licence_id=licence_id,
            kind="licence.status_set",
            actor=operator.actor,
            entity=Entity.LICENCE,
            entity_id=licence_id,
            after=after,
            status=body.status,
        )
        # Licences live in their own table, not as revisions: the audit's before is the row.
        event = event.model_copy(update={"before": before.model_dump(mode="json")})
        await commit(bus, [event], response)
    licences.forget(licence_id)
    log.info("licence_status_set", licence_id=licence_id, status=body.status)
    return after
