"""A licence's keys and tokens, as its owner manages them (the account page's « Clés et jetons »):
list, create (the key is shown once), revoke."""

from __future__ import annotations

from typing import Annotated

import structlog
from fastapi import APIRouter, Path, status
from pydantic import Field

from infra.http_errors import NotFound, errors, invalid
from licences.http import Licences, OwnerPrincipal
from licences.store import KeyInfo, KeyKind, NewKey, Role
from schemas.accounts import RoleName
from schemas.control import OneLine, Request

log = structlog.get_logger(__name__)
router = APIRouter(tags=["keys"])

KeyId = Annotated[str, Path(max_length=64, description="The key_id GET /v1/keys lists.")]


class KeyRequest(Request):
    kind: KeyKind
    name: OneLine = Field(
        description="What the key is for: named in the list, and in the "
        "history of what a token changes."
    )
    role: RoleName | None = Field(
        None, description="A token's role (default viewer); a connector key takes none."
    )


@router.get("/v1/keys", response_model=list[KeyInfo], summary="The licence's keys and tokens")
async def list_keys(principal: OwnerPrincipal, licences: Licences) -> list[KeyInfo]:
    return await licences.keys(principal.licence_id)


@router.post("/v1/keys", status_code=status.HTTP_201_CREATED, response_model=NewKey)
async def create_key(body: KeyRequest, principal: OwnerPrincipal, licences: Licences) -> NewKey:
    """A new connector key or reader token; the answer is the only time the key is shown."""
    if body.kind == "connector" and body.role is not None:
        raise invalid(
            "body",
            "role",
            "a connector key takes no role: it sends events",
            fr="une clé de connecteur n’a pas de rôle : elle envoie des événements",
        )
    role = Role(body.role) if body.role is not None else Role.VIEWER
    created = await licences.create_key(principal.licence_id, body.kind, body.name, role)
    log.info(
        "key_created", key_id=created.key_id, kind=created.kind, role=created.role,
        actor=principal.actor,
    )  # fmt: skip
    return created


@router.delete("/v1/keys/{key_id}", response_model=KeyInfo, responses=errors(NotFound))
async def revoke_key(key_id: KeyId, principal: OwnerPrincipal, licences: Licences) -> KeyInfo:
    """Refused from now on by this API process, and by the others within the key cache's
    time to live (30 s). Revoking a revoked key changes nothing."""
    revoked = await licences.revoke_key(principal.licence_id, key_id)
    if revoked is None:
        raise NotFound(
            "key_not_found",
            f"Aucune clé {key_id!r} dans cette licence : GET /v1/keys liste les siennes.",
            f"no key {key_id!r} in this licence: GET /v1/keys lists its keys",
        )
    log.info("key_revoked", key_id=key_id, kind=revoked.kind, actor=principal.actor)
    return revoked
