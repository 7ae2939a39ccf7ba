"""Reading support tickets back: one licence's or the whole fleet's inbox (bounded pages, newest
number first), one ticket by its number, its thread (replies) and its deliveries.

The merchant's reads always name their licence; the operator's may span every licence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from control_plane.store import Revision, revision_of
from infra.clickhouse import ClickHouse
from schemas.control import Entity, TicketDeliveryDoc, TicketDoc, TicketReplyDoc

MAX_PAGE = 100
MAX_THREAD = 500
"""Replies shown of one ticket: past that, the oldest are left out."""

_COLUMNS = "entity_id, revision, status, deleted, actor, updated_at, body"

_PAGE = f"""
SELECT licence_id, {_COLUMNS}, JSONExtractString(body, 'number') AS number
FROM (
    SELECT licence_id, {_COLUMNS} FROM control_entities FINAL
    WHERE entity = 'ticket' {{and_licence}}
    ORDER BY licence_id, entity_id, revision DESC
    LIMIT 1 BY licence_id, entity_id
)
WHERE (empty({{statuses:Array(String)}}) OR has({{statuses:Array(String)}}, status))
    AND ({{assignee:String}} = '' OR JSONExtractString(body, 'assignee') = {{assignee:String}})
    AND ({{before:String}} = '' OR number < {{before:String}})
ORDER BY number DESC, updated_at DESC
LIMIT {{limit:UInt32}}
"""

_BY_NUMBER = f"""
SELECT licence_id, {_COLUMNS} FROM control_entities FINAL
WHERE entity = 'ticket' {{and_licence}}
    AND entity_id IN (
        SELECT ticket_id FROM ticket_numbers WHERE number = {{number:String}} {{and_licence}}
    )
ORDER BY revision DESC
LIMIT 1
"""

_PARTS = f"""
SELECT entity, {_COLUMNS} FROM (
    SELECT entity, {_COLUMNS} FROM control_entities FINAL
    WHERE licence_id = {{licence_id:String}}
        AND entity IN ('ticket_reply', 'ticket_delivery')
        AND startsWith(entity_id, {{prefix:String}})
    ORDER BY entity_id, revision DESC
    LIMIT 1 BY entity_id
)
ORDER BY updated_at DESC
LIMIT {{limit:UInt32}}
"""

_OUTSTANDING = f"""
SELECT licence_id, {_COLUMNS} FROM (
    SELECT licence_id, {_COLUMNS} FROM control_entities FINAL
    WHERE entity = 'ticket_delivery'
    ORDER BY licence_id, entity_id, revision DESC
    LIMIT 1 BY licence_id, entity_id
)
WHERE status != 'delivered'
ORDER BY updated_at
LIMIT {{limit:UInt32}}
"""


@dataclass(frozen=True)
class StoredTicket:
    licence_id: str
    revision: Revision

    @property
    def ticket(self) -> TicketDoc:
        return self.revision.doc(TicketDoc)


@dataclass(frozen=True)
class Thread:
    replies: list[TicketReplyDoc]
    """Oldest first."""
    deliveries: list[TicketDeliveryDoc]


def _licence_clause(licence_id: str | None, parameters: dict[str, Any]) -> str:
    if licence_id is None:
        return ""
    parameters["licence_id"] = licence_id
    return "AND licence_id = {licence_id:String}"


class TicketStore:
    def __init__(self, clickhouse: ClickHouse) -> None:
        self.clickhouse = clickhouse

    async def page(
        self,
        licence_id: str | None,
        *,
        statuses: Sequence[str] = (),
        assignee: str = "",
        before: str = "",
        limit: int = MAX_PAGE,
    ) -> list[StoredTicket]:
        """Newest number first; `licence_id` None: every licence's (the operator's inbox)."""
        parameters: dict[str, Any] = {
            "statuses": list(statuses),
            "assignee": assignee,
            "before": before,
            "limit": min(limit, MAX_PAGE),
        }
        sql = _PAGE.replace("{and_licence}", _licence_clause(licence_id, parameters))
        rows = await self.clickhouse.arows(sql, parameters)
        return [StoredTicket(row[0], revision_of(row[1:-1])) for row in rows]

    async def by_number(self, number: str, licence_id: str | None) -> StoredTicket | None:
        """The ticket numbered `number`, in `licence_id` only unless None (the operator)."""
        parameters: dict[str, Any] = {"number": number}
        sql = _BY_NUMBER.replace("{and_licence}", _licence_clause(licence_id, parameters))
        rows = await self.clickhouse.arows(sql, parameters)
        return StoredTicket(rows[0][0], revision_of(rows[0][1:])) if rows else None

    async def thread(self, licence_id: str, ticket_id: str) -> Thread:
        rows = await self.clickhouse.arows(
            _PARTS,
            # Beside the replies, the vendor's deliveries and one e-mail per answer at most.
            {"licence_id": licence_id, "prefix": f"{ticket_id}:", "limit": 2 * MAX_THREAD + 2},
        )
        replies, deliveries = [], []
        for entity, *columns in rows:
            revision = revision_of(columns)
            if entity == Entity.TICKET_REPLY:
                replies.append(revision.doc(TicketReplyDoc))
            else:
                deliveries.append(revision.doc(TicketDeliveryDoc))
        replies.sort(key=lambda reply: reply.created_at)
        deliveries.sort(key=lambda delivery: (delivery.channel, delivery.next_attempt_at))
        return Thread(replies[-MAX_THREAD:], deliveries)

    async def outstanding(self, limit: int) -> list[tuple[str, Revision]]:
        """Deliveries not yet delivered, of every licence, least recently tried first."""
        rows = await self.clickhouse.arows(_OUTSTANDING, {"limit": limit})
        return [(row[0], revision_of(row[1:])) for row in rows]
