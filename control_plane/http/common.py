"""What the control plane's routers share: the bus, committing a command over HTTP, what a body
may hold, how often a client may write. Who acts is the route's principal (its `actor`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Response, status

from control_plane.bus import ControlBus, new_event
from control_plane.store import Revision
from infra.http_errors import NotFound, Unavailable, errors, invalid
from infra.http_state import from_state
from infra.log_producer import LogUnavailable
from licences.http import rate_limited
from schemas.control import ControlEvent, ControlKind, Document, Entity
from schemas.storable import unstorable

RETRY_AFTER_SECONDS = 5

# Kinds of writes, each with its own limit per key (ERO_RATE_LIMIT_COMMANDS, _TICKETS), and
# all counted together per licence (ERO_RATE_LIMIT_LICENCE).
COMMANDS = "commands"
TICKETS = "tickets"
CommandLimit = rate_limited(COMMANDS)
TicketLimit = rate_limited(TICKETS)


async def _storable_body(request: Request) -> None:
    """A JSON body holding what the projection could not store (an integer beyond 64 bits, a
    NaN, a NUL, nesting past schemas.storable.MAX_DEPTH) is a 422 naming its JSON path, before
    anything is decided or appended. FastAPI has parsed the body already (and keeps it)."""
    if not await request.body():
        return
    try:
        document = await request.json()
    except ValueError:  # not JSON: the route's own body validation says so
        return
    problem = unstorable(document)
    if problem is not None:
        raise invalid("body", problem.path, problem.reason)


StorableBody = Depends(_storable_body)
"""On every control-plane router: each of its bodies is checked the same way."""


Bus = Annotated[ControlBus, Depends(from_state("control", ControlBus))]

COMMAND = {
    **errors(Unavailable),
    status.HTTP_202_ACCEPTED: {
        "description": "Recorded in the control log, not yet visible in the reads (retry the "
        f"read in a few seconds); the body is what was recorded. After "
        f"{RETRY_AFTER_SECONDS} s at most."
    },
}
"""The responses of a route that records a command (`commit`), for its decorator."""


async def commit(bus: ControlBus, events: Sequence[ControlEvent], response: Response) -> None:
    """Append the command's events; 503 if the log is down, 202 if not yet visible."""
    try:
        visible = await bus.commit(events)
    except LogUnavailable as exc:
        raise Unavailable(
            "control_log_unavailable",
            f"Le journal de commandes est injoignable ; rien n’a été modifié. Réessayez dans "
            f"{RETRY_AFTER_SECONDS} s.",
            f"the control log is unreachable; nothing was changed. "
            f"Retry in {RETRY_AFTER_SECONDS} s.",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        ) from exc
    if not visible:
        response.status_code = status.HTTP_202_ACCEPTED


@dataclass(frozen=True)
class Command:
    """One licence's command in progress: the state it reads is the state its change applies to."""

    bus: ControlBus
    licence_id: str
    actor: str
    response: Response

    async def current(self, entity: Entity, entity_id: str = "") -> Revision | None:
        return await self.bus.store.one(self.licence_id, entity, entity_id)

    async def apply(
        self,
        kind: ControlKind,
        entity: Entity,
        after: Document,
        *,
        entity_id: str = "",
        before: Revision | None = None,
        status: str = "",
        dedup_key: str = "",
        deleted: bool = False,
    ) -> ControlEvent:
        """Record the change from `before` to `after`; returns once visible (or answers 202)."""
        event = new_event(
            licence_id=self.licence_id,
            kind=kind,
            actor=self.actor,
            entity=entity,
            entity_id=entity_id,
            before=before,
            after=after,
            status=status,
            dedup_key=dedup_key,
            deleted=deleted,
        )
        await commit(self.bus, [event], self.response)
        return event


@asynccontextmanager
async def command(
    bus: ControlBus, licence_id: str, actor: str, response: Response
) -> AsyncIterator[Command]:
    async with bus.lock(licence_id):
        yield Command(bus, licence_id, actor, response)


def not_found(what: str, identifier: str, hint: tuple[str, str] | None = None) -> NotFound:
    """404 for a licence's own entity ("in this licence"), or, given a hint (French, English),
    for an entity that is no licence's (a licence itself): the hint says what to check.
    `what` is a word French spells alike and makes feminine (configuration, action,
    notification, licence)."""
    where_fr, where_en = (" dans cette licence", " in this licence")
    if hint is not None:
        where_fr, where_en = f" : {hint[0]}", f": {hint[1]}"
    return NotFound(
        f"{what}_not_found",
        f"Aucune {what} {identifier!r}{where_fr}.",
        f"no {what} {identifier!r}{where_en}",
    )


def licence_not_found(licence_id: str) -> NotFound:
    """404 for an operator's route naming a licence that does not exist."""
    return not_found(
        "licence",
        licence_id,
        (
            "vérifiez l’identifiant (ero licence create l’affiche)",
            "check the licence id (ero licence create prints it)",
        ),
    )
