"""Reading control state back from ClickHouse: an entity's current revision, or its history.

Every query starts with the licence: one licence never reads another's rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import orjson

from infra.clickhouse import ClickHouse
from schemas.control import ControlEvent, Document, Entity

D = TypeVar("D", bound=Document)


@dataclass(frozen=True)
class Revision:
    """One row of control_entities: an entity's document at one revision."""

    entity_id: str
    revision: int
    status: str
    deleted: bool
    actor: str
    updated_at: datetime
    body: dict[str, Any]

    def doc(self, model: type[D]) -> D:
        return model.model_validate(self.body)

    @classmethod
    def written_by(cls, event: ControlEvent) -> Revision:
        """The row `event` writes: the `before` of a next change decided before it is visible."""
        return cls(
            event.entity_id, event.revision, event.status, event.deleted, event.actor,
            event.issued_at, event.after,
        )  # fmt: skip


COLUMNS = "entity_id, revision, status, deleted, actor, updated_at, body"

_CURRENT = f"""
SELECT {COLUMNS} FROM (
    SELECT {COLUMNS} FROM control_entities FINAL
    WHERE licence_id IN {{licences:Array(String)}} AND entity = {{entity:String}} {{and_id}}
    ORDER BY entity_id, revision DESC
    LIMIT 1 BY licence_id, entity_id
)
ORDER BY updated_at DESC, entity_id
"""


def revision_of(row: Sequence[Any]) -> Revision:
    """A Revision from the columns entity_id, revision, status, deleted, actor, updated_at, body."""
    entity_id, revision, status, deleted, actor, updated_at, body = row
    return Revision(
        entity_id,
        revision,
        status,
        bool(deleted),
        actor,
        updated_at,
        orjson.loads(body),
    )


class ControlStore:
    def __init__(self, clickhouse: ClickHouse) -> None:
        self.clickhouse = clickhouse

    async def current(
        self, licence_ids: Sequence[str], entity: Entity, entity_id: str | None = None
    ) -> list[Revision]:
        """The latest revision of each entity (deleted ones included: filter on `deleted`)."""
        parameters: dict[str, Any] = {"licences": list(licence_ids), "entity": entity.value}
        and_id = ""
        if entity_id is not None:
            and_id = "AND entity_id = {entity_id:String}"
            parameters["entity_id"] = entity_id
        rows = await self.clickhouse.arows(_CURRENT.replace("{and_id}", and_id), parameters)
        return [revision_of(row) for row in rows]

    async def one(self, licence_id: str, entity: Entity, entity_id: str = "") -> Revision | None:
        found = await self.current([licence_id], entity, entity_id)
        return found[0] if found else None

    async def history(
        self,
        licence_id: str,
        entity: Entity,
        entity_id: str,
        *,
        revisions: Sequence[int] | None = None,
        before: int | None = None,
        limit: int | None = None,
    ) -> list[Revision]:
        """An entity's revisions, oldest first: all of them, or only `revisions`, or the `limit`
        newest below revision `before`."""
        parameters: dict[str, Any] = {
            "licence_id": licence_id,
            "entity": entity.value,
            "entity_id": entity_id,
        }
        narrower = ""
        if revisions is not None:
            narrower += " AND revision IN {revisions:Array(UInt32)}"
            parameters["revisions"] = list(revisions)
        if before is not None:
            narrower += " AND revision < {before:UInt32}"
            parameters["before"] = before
        bounded = ""
        if limit is not None:
            bounded = "LIMIT {limit:UInt32}"
            parameters["limit"] = limit
        rows = await self.clickhouse.arows(
            f"""
            SELECT {COLUMNS} FROM control_entities FINAL
            WHERE licence_id = {{licence_id:String}} AND entity = {{entity:String}}
                AND entity_id = {{entity_id:String}} {narrower}
            ORDER BY revision DESC {bounded}
            """,
            parameters,
        )
        return [revision_of(row) for row in reversed(rows)]

    async def applied(self, licence_id: str, command_ids: Sequence[uuid.UUID]) -> bool:
        rows = await self.clickhouse.arows(
            """
            SELECT uniqExact(command_id) FROM control_audit
            WHERE licence_id = {licence_id:String} AND command_id IN {ids:Array(UUID)}
            """,
            {"licence_id": licence_id, "ids": list(command_ids)},
        )
        return bool(rows[0][0] >= len(set(command_ids)))
