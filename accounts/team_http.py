"""A licence's team: anyone of it sees who holds which role; its owners invite people, change
their roles and remove them. A licence always keeps an owner.

What the operator's routes do to a team (accounts/admin_http.py) goes through the same
functions, so the same rules hold there.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import APIRouter, Path, Response, status
from pydantic import BaseModel

from accounts.http import AccountsState, log_available
from accounts.service import Accounts, LastOwner
from accounts.store import Member
from control_plane.http.common import CommandLimit, StorableBody
from infra.http_errors import Conflict, NotFound, Unavailable, errors
from licences.http import Licences, OwnerPrincipal, ReaderPrincipal
from schemas.accounts import MemberDoc, Request, RoleName
from schemas.control import Email, LicenceDoc, OneLine

router = APIRouter(tags=["team"], dependencies=[StorableBody])

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


@contextmanager
def _keeping_an_owner() -> Iterator[None]:
    """The service's LastOwner as the 409 it is over HTTP."""
    try:
        yield
    except LastOwner as exc:
        raise Conflict(
            "last_owner",
            "C’est le dernier propriétaire de cette licence : nommez d’abord un autre "
            "propriétaire, puis changez son rôle ou retirez-le.",
            "this is the licence's last owner: make someone else owner first, then change "
            "their role or remove them",
        ) from exc


async def _member(accounts: Accounts, licence_id: str, user_id: str) -> Member:
    found = await accounts.store.member(licence_id, user_id)
    user = await accounts.store.user(user_id) if found is not None else None
    if found is None or user is None:
        raise _not_in_team(user_id)
    return Member(found.doc(MemberDoc), user)


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
    if known is not None and await accounts.store.member(licence.licence_id, known.user_id):
        raise Conflict(
            "already_member",
            f"{body.email} fait déjà partie de l’équipe : changez son rôle avec "
            f"PUT /v1/team/{known.user_id}.",
            f"{body.email} is already in the team: change their role with "
            f"PUT /v1/team/{known.user_id}",
        )
    async with log_available():
        user = await accounts.invite(
            body.email,
            actor=actor,
            name=body.name,
            licence_name=licence.name,
            inviter=inviter,
            role=body.role,
        )
        member = await accounts.set_member(licence.licence_id, user, body.role, actor)
    return TeamMember.of(Member(member, user))


@router.get("/v1/team", response_model=list[TeamMember], summary="Who holds which role")
async def team(principal: ReaderPrincipal, accounts: AccountsState) -> list[TeamMember]:
    return await team_of(accounts, principal.licence_id)


@router.post(
    "/v1/team",
    status_code=status.HTTP_201_CREATED,
    response_model=TeamMember,
    responses=errors(Conflict, Unavailable),
    dependencies=[CommandLimit],
    summary="Invite someone into the team",
)
async def invite(
    body: InviteRequest, principal: OwnerPrincipal, accounts: AccountsState, licences: Licences
) -> TeamMember:
    licence = await licences.record(principal.licence_id)
    assert licence is not None, "the principal was authenticated against it"
    # A token invites in the licence's name; a person, in their own.
    inviter = principal.actor if principal.user_id is not None else None
    return await add_member(accounts, licence, body, principal.actor, inviter)


@router.put(
    "/v1/team/{user_id}",
    response_model=TeamMember,
    responses=errors(NotFound, Conflict, Unavailable),
    dependencies=[CommandLimit],
    summary="Change someone's role",
)
async def change_role(
    user_id: UserId, body: RoleRequest, principal: OwnerPrincipal, accounts: AccountsState
) -> TeamMember:
    member = await _member(accounts, principal.licence_id, user_id)
    if member.doc.role != body.role:
        async with log_available():
            with _keeping_an_owner():
                changed = await accounts.set_member(
                    principal.licence_id, member.user, body.role, principal.actor
                )
        member = Member(changed, member.user)
    return TeamMember.of(member)


@router.delete(
    "/v1/team/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=errors(NotFound, Conflict, Unavailable),
    dependencies=[CommandLimit],
    summary="Remove someone from the team",
)
async def remove(user_id: UserId, principal: OwnerPrincipal, accounts: AccountsState) -> None:
    await _member(accounts, principal.licence_id, user_id)
    async with log_available():
        with _keeping_an_owner():
            await accounts.remove_member(principal.licence_id, user_id, principal.actor)
