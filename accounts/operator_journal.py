"""What the vendor's operators did, across the fleet: every audited change whose actor is an
operator (the shared operator token, or a person with the operator role), newest first.

The licences' audits already name who acted; this reads them all at once for the operators'
names. People's own accounts (@accounts) are no licence's and stay out.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from accounts.http import AccountsState
from accounts.service import person_actor
from control_plane.http.audit import AuditEntry, Fingerprint, audit_fields
from infra.http_state import ClickHouseDep
from licences.http import OPERATOR_TOKEN_ACTOR, Operator
from query_api.instants import Instant, instant_query
from schemas.accounts import ACCOUNTS

router = APIRouter(tags=["operators"], dependencies=[Operator])

MAX_ENTRIES = 500


class JournalEntry(AuditEntry):
    licence_id: str
    licence_name: str | None = Field(description="None: every licence, or one no longer known.")


class Journal(BaseModel):
    since: datetime
    items: list[JournalEntry] = Field(max_length=MAX_ENTRIES)


_JOURNAL = """
SELECT a.licence_id, l.name, a.command_id, a.issued_at, a.kind, a.actor, a.entity, a.entity_id,
    a.revision, a.before, a.after
FROM (
    SELECT * FROM control_audit FINAL
    WHERE issued_at >= {since:DateTime64(3)} AND licence_id != {accounts:String}
        AND actor IN {actors:Array(String)}
    ORDER BY issued_at DESC, command_id LIMIT {limit:UInt32}
) AS a
LEFT JOIN (SELECT licence_id, name FROM licences FINAL) AS l ON l.licence_id = a.licence_id
ORDER BY a.issued_at DESC, a.command_id
"""


@router.get(
    "/v1/admin/audit",
    response_model=Journal,
    summary="What operators did across the fleet, newest first",
    description=f"At most `limit` (1 to {MAX_ENTRIES}) changes made by an operator since "
    "`since` (default: 30 days ago), each with its licence's name.",
)
async def journal(
    clickhouse: ClickHouseDep,
    accounts: AccountsState,
    fingerprint: Fingerprint,
    since: Annotated[Instant | None, instant_query("default: 30 days ago")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_ENTRIES)] = 100,
) -> Journal:
    start = since or datetime.now(UTC) - timedelta(days=30)
    actors = [OPERATOR_TOKEN_ACTOR, *(person_actor(u) for u in await accounts.store.operators())]
    rows = await clickhouse.arows(
        _JOURNAL,
        {"since": start, "accounts": ACCOUNTS, "actors": actors, "limit": limit},
    )
    return Journal(
        since=start,
        items=[
            JournalEntry(
                licence_id=row[0],
                licence_name=row[1] or None,
                **audit_fields(row[2:], fingerprint),
            )
            for row in rows
        ],
    )
