"""An error group's workflow: a licence's members resolve, ignore (for a while, or until more
events come), reopen and comment a group; its readers read its history, newest first, naming
who did what. The state a group is shown in is decided at read time (query_api/group_states.py).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, Field, StringConstraints

from control_plane.http.common import COMMAND, Bus, CommandLimit, StorableBody, command
from control_plane.http.tickets import author_of
from control_plane.store import Revision
from infra.http_errors import NotFound, errors
from licences.http import MemberPrincipal, ReaderPrincipal
from schemas.control import ControlKind, Entity
from schemas.group_state import MAX_COMMENT, GroupChange, GroupStateDoc, StoredState

router = APIRouter(tags=["error groups"], dependencies=[StorableBody])

MAX_IGNORE = timedelta(days=365)
MAX_HISTORY = 100

Fingerprint = Annotated[
    int, Path(ge=0, le=2**64 - 1, description="the group's fingerprint, as /v1/groups")
]


class IgnoreRequest(BaseModel):
    for_seconds: int | None = Field(
        default=None, ge=1, le=int(MAX_IGNORE.total_seconds()),
        description="hidden for this long (at most a year)",
    )  # fmt: skip
    until_events: int | None = Field(
        default=None, ge=1, le=1_000_000,
        description="hidden until more than this many events of the group occur",
    )  # fmt: skip


class CommentRequest(BaseModel):
    text: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_COMMENT)
    ]


class GroupStateOut(BaseModel):
    fingerprint: str
    state: StoredState = Field(
        description="as recorded; /v1/groups shows a resolved group with a later event as "
        "regressed, and an ignored one past its duration or its events as open"
    )
    since: datetime
    ignore_until: datetime | None
    ignore_events: int | None


class HistoryEntry(BaseModel):
    revision: int
    at: datetime
    by: str = Field(description="the person's name (else e-mail), or the key's name")
    change: GroupChange
    state: StoredState
    ignore_until: datetime | None
    ignore_events: int | None
    comment: str | None


class GroupHistory(BaseModel):
    fingerprint: str
    entries: list[HistoryEntry] = Field(max_length=MAX_HISTORY, description="newest first")
    next_before: int | None = Field(description="the `before` of the next (older) page")


def _no_group(fingerprint: int) -> NotFound:
    return NotFound(
        "group_not_found",
        f"Aucun groupe d’erreurs {fingerprint} dans cette licence.",
        f"no error group {fingerprint} in this licence",
    )


async def _has_events(bus: Bus, licence_id: str, fingerprint: int) -> bool:
    rows = await bus.store.clickhouse.arows(
        "SELECT count() FROM (SELECT 1 FROM fingerprint_minutes "
        "WHERE licence_id = {licence_id:String} AND fingerprint = {fingerprint:UInt64} LIMIT 1)",
        {"licence_id": licence_id, "fingerprint": fingerprint},
    )
    return bool(rows[0][0])


def _out(doc: GroupStateDoc) -> GroupStateOut:
    return GroupStateOut(**doc.model_dump(include=set(GroupStateOut.model_fields)))


_KINDS: dict[GroupChange, ControlKind] = {
    "resolved": "group.resolved",
    "ignored": "group.ignored",
    "reopened": "group.reopened",
    "commented": "group.commented",
}


async def _change(
    bus: Bus, principal: MemberPrincipal, fingerprint: int, response: Response, **update: Any
) -> GroupStateOut:
    """Record `update` over the group's current state (open if it has none yet); a group the
    licence never had an event of is not found (another licence's fingerprint included)."""
    async with command(bus, principal.licence_id, principal.actor, response) as cmd:
        before = await cmd.current(Entity.ERROR_GROUP, str(fingerprint))
        if before is None and not await _has_events(bus, principal.licence_id, fingerprint):
            raise _no_group(fingerprint)
        current = (
            before.doc(GroupStateDoc)
            if before
            else GroupStateDoc(
                fingerprint=str(fingerprint), state="open", since=datetime.now(UTC),
                change="reopened",
            )
        )  # fmt: skip
        after = current.model_copy(update={"comment": None, **update})
        await cmd.apply(
            _KINDS[after.change],
            Entity.ERROR_GROUP,
            after,
            entity_id=str(fingerprint),
            before=before,
            status=after.state,
        )
    return _out(after)


_WRITE = {
    "response_model": GroupStateOut,
    "responses": {**COMMAND, **errors(NotFound)},
    "dependencies": [CommandLimit],
}


@router.post(
    "/v1/groups/{fingerprint}/resolve",
    summary="Resolve an error group",
    description="Hidden from the default views until an event of the group occurs after now "
    "(then it is shown as regressed).",
    **_WRITE,  # type: ignore[arg-type]
)
async def resolve(
    fingerprint: Fingerprint, principal: MemberPrincipal, bus: Bus, response: Response
) -> GroupStateOut:
    return await _change(
        bus, principal, fingerprint, response,
        state="resolved", since=datetime.now(UTC), ignore_until=None, ignore_events=None,
        change="resolved",
    )  # fmt: skip


@router.post(
    "/v1/groups/{fingerprint}/ignore",
    summary="Ignore an error group for a while, or until more events come",
    description="Hidden from the default views until `for_seconds` have passed or more than "
    "`until_events` events of the group have occurred (whichever comes first); neither: "
    "until reopened.",
    **_WRITE,  # type: ignore[arg-type]
)
async def ignore(
    fingerprint: Fingerprint,
    body: IgnoreRequest,
    principal: MemberPrincipal,
    bus: Bus,
    response: Response,
) -> GroupStateOut:
    now = datetime.now(UTC)
    until = now + timedelta(seconds=body.for_seconds) if body.for_seconds else None
    return await _change(
        bus, principal, fingerprint, response,
        state="ignored", since=now, ignore_until=until, ignore_events=body.until_events,
        change="ignored",
    )  # fmt: skip


@router.post(
    "/v1/groups/{fingerprint}/reopen",
    summary="Reopen a resolved or ignored error group",
    **_WRITE,  # type: ignore[arg-type]
)
async def reopen(
    fingerprint: Fingerprint, principal: MemberPrincipal, bus: Bus, response: Response
) -> GroupStateOut:
    return await _change(
        bus, principal, fingerprint, response,
        state="open", since=datetime.now(UTC), ignore_until=None, ignore_events=None,
        change="reopened",
    )  # fmt: skip


@router.post(
    "/v1/groups/{fingerprint}/comments",
    summary="Comment an error group",
    description=f"At most {MAX_COMMENT} characters; the group's state does not change.",
    **_WRITE,  # type: ignore[arg-type]
)
async def comment(
    fingerprint: Fingerprint,
    body: CommentRequest,
    principal: MemberPrincipal,
    bus: Bus,
    response: Response,
) -> GroupStateOut:
    return await _change(
        bus, principal, fingerprint, response, change="commented", comment=body.text
    )


def _entry(revision: Revision) -> HistoryEntry:
    doc = revision.doc(GroupStateDoc)
    return HistoryEntry(
        revision=revision.revision,
        at=revision.updated_at,
        by=author_of(revision.actor),
        change=doc.change,
        state=doc.state,
        ignore_until=doc.ignore_until,
        ignore_events=doc.ignore_events,
        comment=doc.comment,
    )


@router.get(
    "/v1/groups/{fingerprint}/history",
    response_model=GroupHistory,
    summary="An error group's history: who resolved, ignored, reopened or commented it, when",
    description=f"At most `limit` (1 to {MAX_HISTORY}) changes, newest first; `next_before` "
    "pages back. A group nobody changed has none.",
)
async def history(
    fingerprint: Fingerprint,
    principal: ReaderPrincipal,
    bus: Bus,
    limit: Annotated[int, Query(ge=1, le=MAX_HISTORY)] = 50,
    before: Annotated[
        int | None, Query(ge=1, le=2**32 - 1, description="the previous page's next_before")
    ] = None,
) -> GroupHistory:
    found = await bus.store.history(
        principal.licence_id, Entity.ERROR_GROUP, str(fingerprint), before=before, limit=limit
    )
    entries = [_entry(revision) for revision in reversed(found)]
    oldest = entries[-1].revision if entries else 1
    return GroupHistory(
        fingerprint=str(fingerprint),
        entries=entries,
        next_before=oldest if len(entries) == limit and oldest > 1 else None,
    )
