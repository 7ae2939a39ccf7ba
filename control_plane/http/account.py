"""The merchant's account (contact e-mail, shop URL and phone, used to pre-fill tickets), the
versions the connector reports, and the PC-key binding."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from control_plane.http.common import COMMAND, Bus, CommandLimit, StorableBody, command
from licences.http import OwnerPrincipal, ReaderPrincipal
from schemas.control import AccountDoc, AccountRequest, AgentDoc, Entity, PcKeyDoc

router = APIRouter(tags=["account"], dependencies=[StorableBody])


class PcKeyState(BaseModel):
    bound: bool
    bound_at: datetime | None


class ConnectorVersions(AgentDoc):
    reported_at: datetime = Field(
        description="When the connector reported these versions (its sync handshake), first."
    )


@router.get("/v1/account", response_model=AccountDoc)
async def get_account(principal: ReaderPrincipal, bus: Bus) -> AccountDoc:
    found = await bus.store.one(principal.licence_id, Entity.ACCOUNT)
    return found.doc(AccountDoc) if found else AccountDoc()


@router.put(
    "/v1/account", response_model=AccountDoc, responses=COMMAND, dependencies=[CommandLimit]
)
async def put_account(
    body: AccountRequest, principal: OwnerPrincipal, bus: Bus, response: Response
) -> AccountDoc:
    account = AccountDoc(**body.model_dump())
    async with command(bus, principal.licence_id, principal.actor, response) as cmd:
        await cmd.apply(
            "account.updated", Entity.ACCOUNT, account, before=await cmd.current(Entity.ACCOUNT)
        )
    return account


@router.get(
    "/v1/account/connectors",
    response_model=list[ConnectorVersions],
    summary="The versions each connector of the licence reports",
)
async def connector_versions(principal: ReaderPrincipal, bus: Bus) -> list[ConnectorVersions]:
    """One entry per connector (a licence has one); none before its first sync."""
    found = await bus.store.one(principal.licence_id, Entity.AGENT)
    if found is None:
        return []
    return [ConnectorVersions(**found.doc(AgentDoc).model_dump(), reported_at=found.updated_at)]


@router.get("/v1/pc-key", response_model=PcKeyState)
async def pc_key(principal: ReaderPrincipal, bus: Bus) -> PcKeyState:
    found = await bus.store.one(principal.licence_id, Entity.PC_KEY)
    doc = found.doc(PcKeyDoc) if found else PcKeyDoc(pc_key_hash=None, bound_at=None)
    return PcKeyState(bound=doc.pc_key_hash is not None, bound_at=doc.bound_at)


@router.post(
    "/v1/pc-key/reset", response_model=PcKeyState, responses=COMMAND, dependencies=[CommandLimit]
)
async def reset_pc_key(principal: OwnerPrincipal, bus: Bus, response: Response) -> PcKeyState:
    """Unbinds the licence from its PC: the next machine to sync binds it."""
    async with command(bus, principal.licence_id, principal.actor, response) as cmd:
        await cmd.apply(
            "pc_key.reset",
            Entity.PC_KEY,
            PcKeyDoc(pc_key_hash=None, bound_at=None),
            before=await cmd.current(Entity.PC_KEY),
            status="unbound",
        )
    return PcKeyState(bound=False, bound_at=None)
