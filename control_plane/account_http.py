"""The merchant's account (e-mail, shop URL, used to pre-fill tickets) and the PC-key binding."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response
from pydantic import BaseModel

from control_plane.bus import new_event
from control_plane.http_common import Bus, ReaderActor, commit
from licences.http import ReaderPrincipal
from schemas.control import AccountDoc, AccountRequest, Entity, PcKeyDoc

router = APIRouter(tags=["account"])


class PcKeyState(BaseModel):
    bound: bool
    bound_at: datetime | None


@router.get("/v1/account", response_model=AccountDoc)
async def get_account(principal: ReaderPrincipal, bus: Bus) -> AccountDoc:
    found = await bus.store.one(principal.licence_id, Entity.ACCOUNT)
    return found.doc(AccountDoc) if found else AccountDoc()


@router.put("/v1/account", response_model=AccountDoc)
async def put_account(
    body: AccountRequest,
    principal: ReaderPrincipal,
    actor: ReaderActor,
    bus: Bus,
    response: Response,
) -> AccountDoc:
    account = AccountDoc(**body.model_dump())
    async with bus.lock(principal.licence_id):
        before = await bus.store.one(principal.licence_id, Entity.ACCOUNT)
        event = new_event(
            licence_id=principal.licence_id,
            kind="account.updated",
            actor=actor,
            entity=Entity.ACCOUNT,
            before=before,
            after=account,
        )
        await commit(bus, [event], response)
    return account


@router.get("/v1/pc-key", response_model=PcKeyState)
async def pc_key(principal: ReaderPrincipal, bus: Bus) -> PcKeyState:
    found = await bus.store.one(principal.licence_id, Entity.PC_KEY)
    doc = found.doc(PcKeyDoc) if found else PcKeyDoc(pc_key_hash=None, bound_at=None)
    return PcKeyState(bound=doc.pc_key_hash is not None, bound_at=doc.bound_at)


@router.post("/v1/pc-key/reset", response_model=PcKeyState)
async def reset_pc_key(
    principal: ReaderPrincipal, actor: ReaderActor, bus: Bus, response: Response
) -> PcKeyState:
    """Unbinds the licence from its PC: the next machine to sync binds it."""
    async with bus.lock(principal.licence_id):
        before = await bus.store.one(principal.licence_id, Entity.PC_KEY)
        event = new_event(
            licence_id=principal.licence_id,
            kind="pc_key.reset",
            actor=actor,
            entity=Entity.PC_KEY,
            before=before,
            after=PcKeyDoc(pc_key_hash=None, bound_at=None),
            status="unbound",
        )
        await commit(bus, [event], response)
    return PcKeyState(bound=False, bound_at=None)
