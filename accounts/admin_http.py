"""Operator endpoints on people: attach a licence to an account by e-mail."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status
from pydantic import BaseModel

from accounts.http import AccountsState
from control_plane.http.common import not_found
from infra.http_errors import NotFound, errors
from licences.http import Licences, OperatorPrincipal
from schemas.accounts import Request, RoleName
from schemas.control import Email, OneLine

router = APIRouter(tags=["operators"])

LicenceId = Annotated[str, Path(max_length=64)]


class MemberRequest(Request):
    email: Email
    name: OneLine | None = None
    role: RoleName = "owner"


class MemberAdded(BaseModel):
    user_id: str
    email: str
    role: RoleName


@router.post(
    "/v1/admin/licences/{licence_id}/members",
    status_code=status.HTTP_201_CREATED,
    response_model=MemberAdded,
    responses=errors(NotFound),
)
async def add_member(
    licence_id: LicenceId,
    body: MemberRequest,
    caller: OperatorPrincipal,
    accounts: AccountsState,
    licences: Licences,
) -> MemberAdded:
    """The account of `email` (invited to create its password if new) holds the licence with
    `role`; it is e-mailed either way."""
    record = await licences.record(licence_id)
    if record is None:
        raise not_found("licence", licence_id, ("vérifiez son identifiant", "check its id"))
    user = await accounts.invite(
        body.email,
        actor=caller.actor,
        name=body.name,
        licence_name=record.name,
        inviter=caller.actor,
        role=body.role,
    )
    await accounts.set_member(licence_id, user, body.role, caller.actor)
    return MemberAdded(user_id=user.user_id, email=user.email, role=body.role)
