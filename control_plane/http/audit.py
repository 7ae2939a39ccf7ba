"""Audit: every control-plane change of a licence (who, when, what, before/after).

A PC key appears as its keyed fingerprint (control_plane/fingerprint.py), never as its hash. What
belongs to no licence (people, their secrets, links, sessions: licence id ACCOUNTS) is no
licence's audit, and a person's secrets (a `credential`: password hash, TOTP secret, recovery
code hashes) are shown by no audit, their changes listed without a body.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from control_plane.fingerprint import KeyFingerprint
from control_plane.http.common import Bus, licence_not_found
from control_plane.store import ControlStore
from infra.http_errors import NotFound, errors
from infra.http_state import from_state
from licences.http import Operator, ReaderPrincipal
from schemas.accounts import ACCOUNTS
from schemas.control import Entity

router = APIRouter(tags=["audit"])


class AuditEntry(BaseModel):
    command_id: uuid.UUID
    issued_at: datetime
    kind: str
    actor: str
    entity: str
    entity_id: str
    revision: int
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def audit_fields(row: Sequence[Any], fingerprint: Fingerprint) -> dict[str, Any]:
    """An AuditEntry's fields from control_audit's command_id, issued_at, kind, actor, entity,
    entity_id, revision, before, after (in that order), the documents as a reader may see them."""
    command_id, issued_at, kind, actor, entity, entity_id, revision, before, after = row
    return {
        "command_id": command_id,
        "issued_at": issued_at,
        "kind": kind,
        "actor": actor,
        "entity": entity,
        "entity_id": entity_id,
        "revision": revision,
        "before": shown_document(before, entity, fingerprint),
        "after": shown_document(after, entity, fingerprint),
    }


class AuditPage(BaseModel):
    licence_id: str
    items: list[AuditEntry]


_QUERY = """
SELECT command_id, issued_at, kind, actor, entity, entity_id, revision, before, after
FROM control_audit FINAL
WHERE licence_id = {licence_id:String}
    AND (empty({entities:Array(String)}) OR has({entities:Array(String)}, entity))
ORDER BY issued_at DESC, command_id
LIMIT {limit:UInt32}
"""


Fingerprint = Annotated[KeyFingerprint, Depends(from_state("pc_key_fingerprint", KeyFingerprint))]


def shown_document(text: str, entity: str, fingerprint: KeyFingerprint) -> dict[str, Any] | None:
    """An audit row's before or after as any audit shows it (no credential, no PC-key hash)."""
    if not text or entity == Entity.CREDENTIAL:
        return None
    return fingerprint.shown(orjson.loads(text))


async def audit_of(
    store: ControlStore,
    fingerprint: KeyFingerprint,
    licence_id: str,
    entities: list[str],
    limit: int,
) -> AuditPage:
    rows = await store.clickhouse.arows(
        _QUERY, {"licence_id": licence_id, "entities": entities, "limit": limit}
    )
    return AuditPage(licence_id=licence_id, items=[audit_fields(row, fingerprint) for row in rows])


Entities = Annotated[list[str], Query(alias="entity", description="e.g. action; repeatable")]
Limit = Annotated[int, Query(ge=1, le=1000)]


@router.get("/v1/audit", response_model=AuditPage, summary="This licence's control-plane changes")
async def audit(
    principal: ReaderPrincipal,
    bus: Bus,
    fingerprint: Fingerprint,
    entities: Entities = [],  # noqa: B006
    limit: Limit = 200,
) -> AuditPage:
    return await audit_of(bus.store, fingerprint, principal.licence_id, entities, limit)


@router.get(
    "/v1/admin/licences/{licence_id}/audit",
    response_model=AuditPage,
    responses=errors(NotFound),
    dependencies=[Operator],
    tags=["operators"],
)
async def operator_audit(
    licence_id: str,
    bus: Bus,
    fingerprint: Fingerprint,
    entities: Entities = [],  # noqa: B006
    limit: Limit = 200,
) -> AuditPage:
    if licence_id == ACCOUNTS:  # people's accounts: an operator reads none of their changes
        raise licence_not_found(licence_id)
    return await audit_of(bus.store, fingerprint, licence_id, entities, limit)
