"""Announcements: vendor operators publish (to every licence or some), readers read, a
licence's members mark them read.

A notification to every licence is stored once under licence "*"; one to some licences once per
licence. Read marks are per licence.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, Field

from control_plane.bus import ControlBus, new_event
from control_plane.http.common import (
    COMMAND,
    Bus,
    CommandLimit,
    StorableBody,
    command,
    commit,
    not_found,
)
from infra.http_errors import NotFound, errors, invalid
from infra.http_state import ClickHouseDep
from licences.http import (
    Licences,
    MemberPrincipal,
    Operator,
    OperatorPrincipal,
    ReaderPrincipal,
)
from schemas.control import (
    EVERY_LICENCE,
    Entity,
    NotificationDoc,
    NotificationReadDoc,
    NotificationRequest,
)

router = APIRouter(tags=["notifications"], dependencies=[StorableBody])


class NotificationOut(NotificationDoc):
    read: bool


class NotificationFeed(BaseModel):
    unread: int
    items: list[NotificationOut]


async def _feed(bus: ControlBus, licence_id: str) -> NotificationFeed:
    published = await bus.store.current([licence_id, EVERY_LICENCE], Entity.NOTIFICATION)
    read = {r.entity_id for r in await bus.store.current([licence_id], Entity.NOTIFICATION_READ)}
    docs = sorted(
        (r.doc(NotificationDoc) for r in published), key=lambda d: d.published_at, reverse=True
    )
    items = [NotificationOut(**d.model_dump(), read=d.notification_id in read) for d in docs]
    return NotificationFeed(unread=sum(not item.read for item in items), items=items)


@router.get("/v1/notifications", response_model=NotificationFeed)
async def notifications(principal: ReaderPrincipal, bus: Bus) -> NotificationFeed:
    return await _feed(bus, principal.licence_id)


@router.post(
    "/v1/notifications/{notification_id}/read",
    response_model=NotificationFeed,
    responses={**COMMAND, **errors(NotFound)},
    dependencies=[CommandLimit],
)
async def mark_read(
    notification_id: str, principal: MemberPrincipal, bus: Bus, response: Response
) -> NotificationFeed:
    async with command(bus, principal.licence_id, principal.actor, response) as cmd:
        feed = await _feed(bus, principal.licence_id)
        shown = next((n for n in feed.items if n.notification_id == notification_id), None)
        if shown is None:
            raise not_found("notification", notification_id)
        if not shown.read:
            await cmd.apply(
                "notification.read",
                Entity.NOTIFICATION_READ,
                NotificationReadDoc(notification_id=notification_id, read_at=datetime.now(UTC)),
                entity_id=notification_id,
            )
        return await _feed(bus, principal.licence_id)


@router.post(
    "/v1/admin/notifications",
    status_code=status.HTTP_201_CREATED,
    response_model=NotificationDoc,
    responses=COMMAND,
    tags=["operators"],
)
async def publish(
    body: NotificationRequest,
    operator: OperatorPrincipal,
    bus: Bus,
    licences: Licences,
    response: Response,
) -> NotificationDoc:
    audience = body.licence_ids or [EVERY_LICENCE]
    for licence_id in set(body.licence_ids or ()):
        if await licences.record(licence_id) is None:
            raise invalid(
                "body",
                "licence_ids",
                f"unknown licence {licence_id!r}",
                fr=f"licence inconnue : {licence_id!r}",
            )
    doc = NotificationDoc(
        notification_id=str(uuid.uuid4()),
        title=body.title,
        body=body.body,
        title_en=body.title_en,
        body_en=body.body_en,
        published_at=datetime.now(UTC),
    )
    events = [
        new_event(
            licence_id=licence_id,
            kind="notification.published",
            actor=operator.actor,
            entity=Entity.NOTIFICATION,
            entity_id=doc.notification_id,
            after=doc,
        )
        for licence_id in dict.fromkeys(audience)
    ]
    await commit(bus, events, response)
    return doc


MAX_PUBLISHED = 200


class Audience(BaseModel):
    licence_id: str
    name: str


class Published(NotificationDoc):
    published_by: str = Field(description="The operator who published it.")
    everyone: bool = Field(description="Published to every licence (then `licences` is empty).")
    licences: list[Audience] = Field(description="The licences it was published to.")


# A notification to some licences is one row per licence: one line per notification here.
_PUBLISHED = """
SELECT entity_id, any(body), any(actor), arraySort(groupUniqArray(licence_id)),
    max(updated_at) AS at
FROM control_entities FINAL WHERE entity = 'notification'
GROUP BY entity_id ORDER BY at DESC, entity_id LIMIT {limit:UInt32}
"""
_NAMES = "SELECT licence_id, name FROM licences FINAL WHERE licence_id IN {ids:Array(String)}"


@router.get(
    "/v1/admin/notifications",
    response_model=list[Published],
    dependencies=[Operator],
    tags=["operators"],
    summary="Notifications published, newest first",
)
async def published(
    clickhouse: ClickHouseDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PUBLISHED)] = 50,
) -> list[Published]:
    rows = await clickhouse.arows(_PUBLISHED, {"limit": limit})
    ids = sorted({i for row in rows for i in row[3] if i != EVERY_LICENCE})
    names = dict(await clickhouse.arows(_NAMES, {"ids": ids})) if ids else {}
    return [
        Published(
            **NotificationDoc.model_validate_json(body).model_dump(),
            published_by=actor,
            everyone=EVERY_LICENCE in audience,
            licences=[]
            if EVERY_LICENCE in audience
            else [Audience(licence_id=i, name=names.get(i, "")) for i in audience],
        )
        for _, body, actor, audience, _ in rows
    ]
