"""Operator endpoints over people: the vendor's list of licences (with their owners), a licence
created with its owner (what `ero licence create` calls on a running pipeline), a licence's
team, and the vendor's operators (`ero operator create`).

Here, not in licences/, because a licence's owner is an account: the licences layer cannot
reach accounts.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

import structlog
from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, Field, StringConstraints

from accounts.http import AccountsState, log_available
from accounts.licence_directory import MAX_PAGE, LicenceDirectory, LicencePage, LicenceSummary
from accounts.team_http import InviteRequest, TeamMember, add_member, team_of
from control_plane.bus import new_event
from control_plane.http.common import COMMAND, Bus, StorableBody, commit, licence_not_found
from infra.http_errors import Conflict, NotFound, Unavailable, errors
from infra.http_state import ClickHouseDep
from licences.http import Licences, OperatorPrincipal
from licences.store import Credentials
from schemas.accounts import Request
from schemas.control import Email, Entity, OneLine

log = structlog.get_logger(__name__)
router = APIRouter(tags=["operators"], dependencies=[StorableBody])

MAX_SILENT_HOURS = 30 * 24


class LicenceRequest(BaseModel):
    # Stored stripped; blank (or only spaces) is refused with a 422.
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    owner: Email | None = Field(
        None,
        description="The e-mail of the licence's owner: invited (an account is created if "
        "none has this e-mail).",
    )


class CreatedLicence(Credentials):
    owner: TeamMember | None = Field(description="The owner invited, if `owner` was given.")


@router.get(
    "/v1/admin/licences",
    response_model=LicencePage,
    summary="The fleet's licences, by name; or only the silent ones",
    description=f"At most `limit` (1 to {MAX_PAGE}) licences ordered by name, each with its "
    "status, last sync, the versions its connector reported and its owners; `next_cursor` "
    "gives the next page. With `silent_hours`, only the active licences without a line of a "
    "sync run for that many hours (those never heard from included, if created before).",
)
async def list_licences(
    _: OperatorPrincipal,
    clickhouse: ClickHouseDep,
    q: Annotated[
        str, Query(max_length=200, description="part of the name, or the start of the id")
    ] = "",
    licence_status: Annotated[
        Literal["active", "expired", "revoked"] | None, Query(alias="status")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    cursor: Annotated[
        str | None, Query(max_length=1000, description="next_cursor of the previous page")
    ] = None,
    silent_hours: Annotated[
        int | None,
        Query(
            ge=1,
            le=MAX_SILENT_HOURS,
            description="only the active licences silent (no line of a sync run) for this long",
        ),
    ] = None,
) -> LicencePage:
    quiet_since = datetime.now(UTC) - timedelta(hours=silent_hours) if silent_hours else None
    return await LicenceDirectory(clickhouse).page(
        q.strip(), licence_status or "", limit, cursor, quiet_since
    )


@router.get(
    "/v1/admin/licences/{licence_id}",
    response_model=LicenceSummary,
    responses=errors(NotFound),
    summary="One licence: status, last sync, versions, owners",
)
async def show_licence(
    licence_id: str, _: OperatorPrincipal, clickhouse: ClickHouseDep
) -> LicenceSummary:
    found = await LicenceDirectory(clickhouse).one(licence_id)
    if found is None:
        raise licence_not_found(licence_id)
    return found


@router.post(
    "/v1/admin/licences",
    status_code=status.HTTP_201_CREATED,
    response_model=CreatedLicence,
    responses=COMMAND,
)
async def create_licence(
    body: LicenceRequest,
    operator: OperatorPrincipal,
    licences: Licences,
    accounts: AccountsState,
    bus: Bus,
    response: Response,
) -> CreatedLicence:
    """A new licence and its first keys, in its audit as created by the operator; with `owner`,
    that person is invited as its owner. If recording it or the invitation fails (503), the
    licence exists: invite its owner with POST /v1/admin/licences/{licence_id}/members."""
    credentials = await asyncio.to_thread(licences.create, body.name)
    log.info("licence_created", licence_id=credentials.licence_id, name=body.name)
    licence = await licences.record(credentials.licence_id)
    assert licence is not None, "just created"
    created = new_event(
        licence_id=licence.licence_id,
        kind="licence.created",
        actor=operator.actor,
        entity=Entity.LICENCE,
        entity_id=licence.licence_id,
        after=licence,
        status=licence.status,
    )
    await commit(bus, [created], response)
    owner = None
    if body.owner is not None:
        invitation = InviteRequest(email=body.owner, role="owner")
        owner = await add_member(accounts, licence, invitation, operator.actor, inviter=None)
    return CreatedLicence(**credentials.model_dump(), owner=owner)


@router.get(
    "/v1/admin/licences/{licence_id}/members",
    response_model=list[TeamMember],
    responses=errors(NotFound),
    summary="A licence's team",
)
async def licence_members(
    licence_id: str, _: OperatorPrincipal, licences: Licences, accounts: AccountsState
) -> list[TeamMember]:
    if await licences.record(licence_id) is None:
        raise licence_not_found(licence_id)
    return await team_of(accounts, licence_id)


@router.post(
    "/v1/admin/licences/{licence_id}/members",
    status_code=status.HTTP_201_CREATED,
    response_model=TeamMember,
    responses=errors(NotFound, Conflict, Unavailable),
    summary="Invite someone into a licence's team",
)
async def add_licence_member(
    licence_id: str,
    body: InviteRequest,
    operator: OperatorPrincipal,
    licences: Licences,
    accounts: AccountsState,
) -> TeamMember:
    licence = await licences.record(licence_id)
    if licence is None:
        raise licence_not_found(licence_id)
    return await add_member(accounts, licence, body, operator.actor, inviter=None)


class OperatorRequest(Request):
    email: Email
    name: OneLine | None = None


class OperatorAccount(BaseModel):
    user_id: str
    email: str
    name: str | None
    operator: bool


MAX_OPERATORS = 500
"""Operators listed at most: the vendor's team is a few people."""


@router.get(
    "/v1/admin/operators",
    response_model=list[OperatorAccount],
    summary="The vendor's operators",
    description=f"Every operator account (at most {MAX_OPERATORS}), by name then e-mail: "
    "whom a ticket can be assigned to.",
)
async def list_operators(_: OperatorPrincipal, accounts: AccountsState) -> list[OperatorAccount]:
    found = await accounts.store.operators()
    found.sort(key=lambda user: ((user.name or user.email).casefold(), user.email))
    return [
        OperatorAccount(
            user_id=user.user_id, email=user.email, name=user.name, operator=user.operator
        )
        for user in found[:MAX_OPERATORS]
    ]


@router.post(
    "/v1/admin/operators",
    status_code=status.HTTP_201_CREATED,
    response_model=OperatorAccount,
    responses=errors(Unavailable),
    summary="Make someone an operator",
)
async def create_operator(
    body: OperatorRequest, operator: OperatorPrincipal, accounts: AccountsState
) -> OperatorAccount:
    """The account of `email` (created if none, and e-mailed a link to create its password if
    it has none) becomes an operator's: it signs in to every operator route."""
    async with log_available():
        user = await accounts.invite(body.email, actor=operator.actor, name=body.name)
        user = await accounts.set_operator(user, operator.actor)
    log.info("operator_created", user_id=user.user_id)
    return OperatorAccount(
        user_id=user.user_id, email=user.email, name=user.name, operator=user.operator
    )
