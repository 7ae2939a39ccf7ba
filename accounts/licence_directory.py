"""The vendor's list of licences: each with its status, last sync, the versions its connector
reports and its owners, searchable by name, a bounded page at a time; or only the silent ones,
the active licences without a line of a sync run for some hours (a connector stopped, a PC
switched off, an update that broke the sync), which the vendor calls before the merchant does.

Here, not in licences/, because a licence's owners are accounts. Four queries per page,
whatever its size: the page of licences (keyset on name, licence id), then their last syncs
(the per-minute rollup's projection `licence_last`: a row per licence and part), their
connectors' handshakes (query_api/agents.py) and their teams, each for the page's ids only,
these three side by side.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from datetime import datetime
from typing import Any

import orjson
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field

from infra.clickhouse import ClickHouse
from infra.http_errors import invalid
from query_api.agents import reported
from schemas.accounts import ACCOUNTS
from schemas.control import AgentDoc

MAX_PAGE = 100


class Person(BaseModel):
    name: str | None
    email: str


class LicenceSummary(BaseModel):
    licence_id: str
    name: str
    status: str
    created_at: datetime
    last_sync_at: datetime | None = Field(description="The last line of a sync run received.")
    last_event_at: datetime | None
    agent: AgentDoc = Field(description="What its connector reported at its last handshake.")
    owners: list[Person]
    members: int = Field(description="People in its team, owners included.")


class LicencePage(BaseModel):
    items: list[LicenceSummary] = Field(max_length=MAX_PAGE)
    next_cursor: str | None


# The inner FINAL then the filter: a status filtered before FINAL could find an old row.
_PAGE = """
SELECT licence_id, name, status, created_at FROM (
    SELECT licence_id, name, status, created_at FROM licences FINAL
)
WHERE ({q:String} = '' OR positionCaseInsensitiveUTF8(name, {q:String}) > 0
       OR startsWith(licence_id, lower({q:String})))
    AND ({status:String} = '' OR toString(status) = {status:String})
    AND (name, licence_id) > ({after_name:String}, {after_id:String}) {silent}
ORDER BY name, licence_id
LIMIT {limit:UInt32}
"""
# Silent: not heard from since `quiet_since`, though created before it. Only the last hours of
# the rollup are read (its sort key is licence, minute), whatever the fleet's history.
_SILENT = """
    AND status = 'active' AND created_at < {quiet_since:DateTime64(3, 'UTC')}
    AND licence_id NOT IN (
        SELECT licence_id FROM sync_minutes
        WHERE minute >= toStartOfMinute({quiet_since:DateTime64(3, 'UTC')})
            AND last_sync_at >= {quiet_since:DateTime64(3, 'UTC')}
    )
"""

_SYNCS = """
SELECT licence_id, max(last_sync_at), max(last_event_at) FROM sync_minutes
WHERE licence_id IN {ids:Array(String)}
GROUP BY licence_id
"""

_MEMBERS = """
SELECT m.licence_id, m.role, u.email, u.name FROM (
    SELECT licence_id, entity_id AS user_id, argMax(deleted, revision) AS gone,
        JSONExtractString(argMax(body, revision), 'role') AS role
    FROM control_entities FINAL
    WHERE licence_id IN {ids:Array(String)} AND entity = 'member'
    GROUP BY licence_id, entity_id
) AS m
INNER JOIN (
    SELECT entity_id AS user_id, JSONExtractString(argMax(body, revision), 'email') AS email,
        JSONExtractString(argMax(body, revision), 'name') AS name
    FROM control_entities FINAL
    WHERE licence_id = {accounts:String} AND entity = 'user'
    GROUP BY entity_id
) AS u ON u.user_id = m.user_id
WHERE NOT m.gone
ORDER BY m.licence_id, u.email
"""


def encode_cursor(item: LicenceSummary) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([item.name, item.licence_id])).decode()


def decode_cursor(cursor: str) -> tuple[str, str]:
    try:
        name, licence_id = orjson.loads(base64.urlsafe_b64decode(cursor))
    except (ValueError, TypeError, binascii.Error, orjson.JSONDecodeError) as exc:
        raise _malformed() from exc
    if not isinstance(name, str) or not isinstance(licence_id, str):
        raise _malformed()
    return name, licence_id


def _malformed() -> RequestValidationError:
    return invalid(
        "query", "cursor", "malformed cursor: pass back the next_cursor of the previous page"
    )


class LicenceDirectory:
    def __init__(self, clickhouse: ClickHouse) -> None:
        self._clickhouse = clickhouse

    async def page(
        self,
        query: str,
        status: str,
        limit: int,
        cursor: str | None,
        quiet_since: datetime | None = None,
    ) -> LicencePage:
        """With `quiet_since`, only the active licences silent since then."""
        after = decode_cursor(cursor) if cursor else ("", "")
        parameters: dict[str, Any] = {
            "q": query,
            "status": status,
            "after_name": after[0],
            "after_id": after[1],
            "limit": limit + 1,
        }
        if quiet_since is not None:
            parameters["quiet_since"] = quiet_since
        rows = await self._clickhouse.arows(
            _PAGE.replace("{silent}", _SILENT if quiet_since is not None else ""), parameters
        )
        items = await self._summaries(rows[:limit])
        return LicencePage(
            items=items, next_cursor=encode_cursor(items[-1]) if len(rows) > limit else None
        )

    async def one(self, licence_id: str) -> LicenceSummary | None:
        rows = await self._clickhouse.arows(
            "SELECT licence_id, name, status, created_at FROM licences FINAL "
            "WHERE licence_id = {licence_id:String}",
            {"licence_id": licence_id},
        )
        found = await self._summaries(rows)
        return found[0] if found else None

    async def _summaries(self, rows: list[tuple[Any, ...]]) -> list[LicenceSummary]:
        if not rows:
            return []
        ids = {"ids": [row[0] for row in rows]}
        sync_rows, versions, member_rows = await asyncio.gather(
            self._clickhouse.arows(_SYNCS, ids),
            reported(self._clickhouse, ids["ids"]),
            self._clickhouse.arows(_MEMBERS, {**ids, "accounts": ACCOUNTS}),
        )
        syncs = {licence_id: (sync, event) for licence_id, sync, event in sync_rows}
        owners: dict[str, list[Person]] = {}
        members: dict[str, int] = {}
        for licence_id, role, email, name in member_rows:
            members[licence_id] = members.get(licence_id, 0) + 1
            if role == "owner":
                owners.setdefault(licence_id, []).append(Person(name=name or None, email=email))
        summaries = []
        for licence_id, name, status, created_at in rows:
            sync, event = syncs.get(licence_id, (None, None))
            summaries.append(
                LicenceSummary(
                    licence_id=licence_id,
                    name=name,
                    status=status,
                    created_at=created_at,
                    last_sync_at=_seen(sync),
                    last_event_at=_seen(event),
                    agent=versions.get(licence_id, AgentDoc()),
                    owners=owners.get(licence_id, []),
                    members=members.get(licence_id, 0),
                )
            )
        return summaries


def _seen(instant: datetime | None) -> datetime | None:
    """The rollup's epoch stands for "never" (lines without a sync run)."""
    return instant if instant is not None and instant.year > 1970 else None
