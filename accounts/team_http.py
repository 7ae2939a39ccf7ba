"""A licence's team: anyone of it sees who holds which role; its owners invite people, change
their roles and remove them. A licence always keeps an owner.

What the operator's routes do to a team (accounts/admin_http.py) goes through the same
functions, so the same rules hold there.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response, status
from pydantic import BaseModel

from accounts.service import Accounts
from accounts.store import Member
from control_plane.http.common import COMMAND, CommandLimit, StorableBody
from infra.http_errors import Conflict, NotFound, errors
from infra.http_state import from_state
from licences.http import Licences, OwnerPrincipal, ReaderPrincipal
from schemas.accounts import Request, RoleName
from schemas.control import Email, LicenceDoc, OneLine

router = APIRouter(tags=["team"], dependencies=[StorableBody])

AccountsDep = Annotated[Accounts, Depends(from_state("accounts", Accounts))]
UserId = Annotated[str, Path(max_length=64, description="The user_id GET /v1/team lists.")]


class TeamMember(BaseModel):
    user_id: str
    email: str
    name: str | None
    role: RoleName
    added_by: str

    @classmethod
    def of(cls, member: Member) -> TeamMember:
        return cls(
            user_id=member.user.user_id,
            email=member.user.email,
            name=member.user.name,
            role=member.doc.role,
            added_by=member.doc.added_by,
        )


class InviteRequest(Request):
    email: Email
    name: OneLine | None = None
    role: RoleName


class RoleRequest(Request):
    role: RoleName


def _not_in_team(user_id: str) -> NotFound:
    return NotFound(
        "member_not_found",
        f"Personne {user_id!r} dans l’équipe de cette licence : GET /v1/team la liste.",
        f"no one {user_id!r} in this licence's team: GET /v1/team lists it",
    )


def _keeps_an_owner(team: list[Member], user_id: str, role: RoleName | None) -> None:
    """409 if giving `user_id` the role `role` (None: removing them) leaves no owner."""
    owners = {member.user.user_id for member in team if member.doc.role == "owner"}
    if owners == {user_id} and role != "owner":
        raise Conflict(
            "last_owner",
            "C’est le dernier propriétaire de cette licence : nommez d’abord un autre "
            "propriétaire, puis changez son rôle ou retirez-le.",
            "this is the licence's last owner: make someone else owner first, then change "
            "their role or remove them",
        )


async def _member(accounts: Accounts, licence_id: str, user_id: str) -> tuple[Member, list[Member]]:
    team = await accounts.store.members(licence_id)
    for member in team:
        if member.user.user_id == user_id:
            return member, team
    raise _not_in_team(user_id)


async def team_of(accounts: Accounts, licence_id: str) -> list[TeamMember]:
    return [TeamMember.of(member) for member in await accounts.store.members(licence_id)]


async def add_member(
    accounts: Accounts,
    licence: LicenceDoc,
    body: InviteRequest,
    actor: str,
    inviter: str | None,
) -> TeamMember:
    """Invite `body.email` into the licence's team with `body.role`: a new account, or one that
    never created its password, gets a link to create it; an existing one, a notice."""
    known = await accounts.store.user_by_email(body.email)
    if known is not None:
        team = await accounts.store.members(licence.licence_id)
        if any(member.user.user_id == known.user_id for member in team):
            raise Conflict(
                "already_member",
                f"{body.email} fait déjà partie de l’équipe : changez son rôle avec "
                f"PUT /v1/team/{known.user_id}.",
                f"{body.email} is already in the team: change their role with "
                f"PUT /v1/team/{known.user_id}",
            )
    user = await accounts.invite(
        body.email,
        actor=actor,
        name=body.name,
        licence_name=licence.name,
        inviter=inviter,
        role=body.role,
    )
    await accounts.set_member(licence.licence_id, user, body.role, actor)
    member, _ = await _member(accounts, licence.licence_id, user.user_id)
    return TeamMember.of(member)


@router.get("/v1/team", response_model=list[TeamMember], summary="Who holds which role")
async def team(principal: ReaderPrincipal, accounts: AccountsDep) -> list[TeamMember]:
    return await team_of(accounts, principal.licence_id)


@router.post(
    "/v1/team",
    status_code=status.HTTP_201_CREATED,
    response_model=TeamMember,
    responses={**COMMAND, **errors(Conflict)},
    dependencies=[CommandLimit],
    summary="Invite someone into the team",
)
async def invite(
    body: InviteRequest, principal: OwnerPrincipal, accounts: AccountsDep, licences: Licences
) -> TeamMember:
    licence = await licences.record(principal.licence_id)
    assert licence is not None, "the principal was authenticated against it"
    # A token invites in the licence's name; a person, in their own.
    inviter = principal.actor if principal.user_id is not None else None
    return await add_member(accounts, licence, body, principal.actor, inviter)


@router.put(
    "/v1/team/{user_id}",
    response_model=TeamMember,
    responses={**COMMAND, **errors(NotFound, Conflict)},
    dependencies=[CommandLimit],
    summary="Change someone's role",
)
async def change_role(
    user_id: UserId, body: RoleRequest, principal: OwnerPrincipal, accounts: AccountsDep
) -> TeamMember:
    member, team = await _member(accounts, principal.licence_id, user_id)
    _keeps_an_owner(team, user_id, body.role)
    if member.doc.role != body.role:
        await accounts.set_member(principal.licence_id, member.user, body.role, principal.actor)
        member, _ = await _member(accounts, principal.licence_id, user_id)
    return TeamMember.of(member)


@router.delete(
    "/v1/team/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses={**COMMAND, **errors(NotFound, Conflict)},
    dependencies=[CommandLimit],
    summary="Remove someone from the team",
)
async def remove(user_id: UserId, principal: OwnerPrincipal, accounts: AccountsDep) -> None:
    _, team = await _member(accounts, principal.licence_id, user_id)
    _keeps_an_owner(team, user_id, None)
    await accounts.remove_member(principal.licence_id, user_id, principal.actor)
