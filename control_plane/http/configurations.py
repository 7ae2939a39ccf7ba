"""Cloud configurations: create, update (a new version each time), delete, activate, history, diff,
restore.

A configuration's versions are the revisions of its entity; deleting writes a last revision
marked deleted, so the history survives the deletion, and restoring a version writes it again as
the newest. A configuration names the connector it is for (or none); activating it makes it the
one that connector loads (control_plane/configurations.py).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response, status
from pydantic import BaseModel, Field

from control_plane.bus import ControlBus
from control_plane.configurations import (
    activation_key,
    active_ids,
    is_active,
    labelled_changes,
)
from control_plane.diff import Change, json_diff
from control_plane.http.common import (
    COMMAND,
    Bus,
    CommandLimit,
    StorableBody,
    command,
    not_found,
)
from control_plane.store import Revision
from infra.http_errors import Conflict, NotFound, errors, invalid
from licences.http import MemberPrincipal, ReaderPrincipal
from schemas.configuration import ConfigurationRequest, ConnectorConfiguration
from schemas.control import ActiveConfigurationDoc, ConfigurationDoc, Entity

router = APIRouter(tags=["configurations"], dependencies=[StorableBody])

MAX_CONFIGURATIONS = 200
"""A licence's configurations at most (deleted ones not counted): the list is read whole."""
MAX_VERSIONS = 100
"""Versions one answer lists at most (`before` pages back)."""


class ConfigurationOut(BaseModel):
    configuration_id: str
    name: str
    connector_id: str | None = Field(
        description="The connector it is for; null: every connector without its own."
    )
    version: int
    active: bool = Field(description="What its connector loads at its next sync.")
    deleted: bool
    document: ConnectorConfiguration
    updated_at: datetime
    updated_by: str = Field(
        description='Who wrote this version: "Name <e-mail>" (or the e-mail) for a person, '
        '"reader[:token name]" for a token.'
    )


class ConfigurationDiff(BaseModel):
    configuration_id: str
    from_version: int
    to_version: int
    changes: list[Change]


def _out(revision: Revision, active: dict[str, str]) -> ConfigurationOut:
    # A just-created configuration is active only once activated.
    doc = revision.doc(ConfigurationDoc)
    return ConfigurationOut(
        configuration_id=doc.configuration_id,
        name=doc.name,
        connector_id=doc.connector_id,
        version=revision.revision,
        active=is_active(revision, active),
        deleted=revision.deleted,
        document=doc.document,
        updated_at=revision.updated_at,
        updated_by=revision.actor,
    )


async def _existing(bus: ControlBus, licence_id: str, configuration_id: str) -> Revision:
    found = await bus.store.one(licence_id, Entity.CONFIGURATION, configuration_id)
    if found is None or found.deleted:
        raise not_found("configuration", configuration_id)
    return found


@router.get("/v1/configurations/schema", summary="The JSON Schema every document must satisfy")
async def configuration_schema(_: ReaderPrincipal) -> dict[str, Any]:
    """Each field names itself for people: `title_fr`, `title_en`, `help_fr`, `help_en`; an
    enum's values in `choices_fr`, `choices_en`; a field that can destroy shop data says what
    it does in `risk_fr`, `risk_en`, and at which value in `risk_when`."""
    return ConnectorConfiguration.model_json_schema()


@router.get("/v1/configurations", response_model=list[ConfigurationOut])
async def list_configurations(principal: ReaderPrincipal, bus: Bus) -> list[ConfigurationOut]:
    active = await active_ids(bus, principal.licence_id)
    found = await bus.store.current([principal.licence_id], Entity.CONFIGURATION)
    return [_out(revision, active) for revision in found if not revision.deleted]


@router.post(
    "/v1/configurations",
    status_code=status.HTTP_201_CREATED,
    response_model=ConfigurationOut,
    responses={**COMMAND, **errors(Conflict)},
    dependencies=[CommandLimit],
)
async def create_configuration(
    body: ConfigurationRequest,
    principal: MemberPrincipal,
    bus: Bus,
    response: Response,
) -> ConfigurationOut:
    configuration_id = str(uuid.uuid4())
    async with command(bus, principal.licence_id, principal.actor, response) as cmd:
        held = await bus.store.current([principal.licence_id], Entity.CONFIGURATION)
        if sum(not revision.deleted for revision in held) >= MAX_CONFIGURATIONS:
            raise Conflict(
                "too_many_configurations",
                f"Cette licence a déjà {MAX_CONFIGURATIONS} configurations : supprimez-en une "
                "avant d’en créer une autre.",
                f"this licence has {MAX_CONFIGURATIONS} configurations already: delete one "
                "before creating another",
            )
        event = await cmd.apply(
            "configuration.created",
            Entity.CONFIGURATION,
            _doc(configuration_id, body),
            entity_id=configuration_id,
        )
    return _out(Revision.written_by(event), {})


@router.get(
    "/v1/configurations/{configuration_id}",
    response_model=ConfigurationOut,
    responses=errors(NotFound),
)
async def get_configuration(
    configuration_id: str, principal: ReaderPrincipal, bus: Bus
) -> ConfigurationOut:
    found = await _existing(bus, principal.licence_id, configuration_id)
    return _out(found, await active_ids(bus, principal.licence_id))


@router.put(
    "/v1/configurations/{configuration_id}",
    response_model=ConfigurationOut,
    responses={**COMMAND, **errors(NotFound)},
    dependencies=[CommandLimit],
)
async def update_configuration(
    configuration_id: str,
    body: ConfigurationRequest,
    principal: MemberPrincipal,
    bus: Bus,
    response: Response,
) -> ConfigurationOut:
    async with command(bus, principal.licence_id, principal.actor, response) as cmd:
        before = await _existing(bus, principal.licence_id, configuration_id)
        event = await cmd.apply(
            "configuration.updated",
            Entity.CONFIGURATION,
            _doc(configuration_id, body),
            entity_id=configuration_id,
            before=before,
        )
        active = await active_ids(bus, principal.licence_id)
    return _out(Revision.written_by(event), active)


@router.delete(
    "/v1/configurations/{configuration_id}",
    response_model=ConfigurationOut,
    responses={**COMMAND, **errors(NotFound)},
    dependencies=[CommandLimit],
)
async def delete_configuration(
    configuration_id: str,
    principal: MemberPrincipal,
    bus: Bus,
    response: Response,
) -> ConfigurationOut:
    async with command(bus, principal.licence_id, principal.actor, response) as cmd:
        before = await _existing(bus, principal.licence_id, configuration_id)
        event = await cmd.apply(
            "configuration.deleted",
            Entity.CONFIGURATION,
            before.doc(ConfigurationDoc),
            entity_id=configuration_id,
            before=before,
            deleted=True,
        )
    return _out(Revision.written_by(event), {})


@router.post(
    "/v1/configurations/{configuration_id}/activate",
    response_model=ConfigurationOut,
    responses={**COMMAND, **errors(NotFound)},
    dependencies=[CommandLimit],
)
async def activate_configuration(
    configuration_id: str,
    principal: MemberPrincipal,
    bus: Bus,
    response: Response,
) -> ConfigurationOut:
    """The configuration its connector fetches at its next sync start (in place of that
    connector's previous one; for a configuration naming no connector, every connector
    without its own)."""
    async with command(bus, principal.licence_id, principal.actor, response) as cmd:
        found = await _existing(bus, principal.licence_id, configuration_id)
        key = activation_key(found.doc(ConfigurationDoc).connector_id)
        await cmd.apply(
            "configuration.activated",
            Entity.ACTIVE_CONFIGURATION,
            ActiveConfigurationDoc(configuration_id=configuration_id),
            entity_id=key,
            before=await cmd.current(Entity.ACTIVE_CONFIGURATION, key),
        )
    return _out(found, {key: configuration_id})


async def _latest(bus: ControlBus, licence_id: str, configuration_id: str) -> Revision:
    """Its newest revision, a deletion included (its history outlives it)."""
    found = await bus.store.one(licence_id, Entity.CONFIGURATION, configuration_id)
    if found is None:
        raise not_found("configuration", configuration_id)
    return found


@router.get(
    "/v1/configurations/{configuration_id}/versions",
    response_model=list[ConfigurationOut],
    responses=errors(NotFound),
)
async def configuration_versions(
    configuration_id: str,
    principal: ReaderPrincipal,
    bus: Bus,
    limit: Annotated[int, Query(ge=1, le=MAX_VERSIONS)] = MAX_VERSIONS,
    before: Annotated[
        int | None,
        Query(
            ge=1,
            le=2**32 - 1,
            description="Only the versions before this one: the first version of a page is "
            "the next page's `before`.",
        ),
    ] = None,
) -> list[ConfigurationOut]:
    """The `limit` newest versions (before `before`), oldest first, with who changed them and
    when (a deletion included)."""
    latest = await _latest(bus, principal.licence_id, configuration_id)
    history = await bus.store.history(
        principal.licence_id, Entity.CONFIGURATION, configuration_id, before=before, limit=limit
    )
    active = await active_ids(bus, principal.licence_id)
    return [
        _out(revision, active if revision.revision == latest.revision else {})
        for revision in history
    ]


def _missing_version(configuration_id: str, version: int, latest: int) -> NotFound:
    return NotFound(
        "version_not_found",
        f"La configuration {configuration_id!r} n’a pas de version {version} : ses versions vont "
        f"de 1 à {latest}.",
        f"configuration {configuration_id!r} has no version {version}: its versions are 1 to "
        f"{latest}",
    )


@router.get(
    "/v1/configurations/{configuration_id}/diff",
    response_model=ConfigurationDiff,
    responses=errors(NotFound),
)
async def configuration_diff(
    configuration_id: str,
    principal: ReaderPrincipal,
    bus: Bus,
    from_version: Annotated[int, Query(ge=1, le=2**32 - 1)],
    to_version: Annotated[int, Query(ge=1, le=2**32 - 1)],
) -> ConfigurationDiff:
    """What changed, field by field, each named for people (`label_fr`, `label_en`)."""
    latest = await _latest(bus, principal.licence_id, configuration_id)
    history = await bus.store.history(
        principal.licence_id,
        Entity.CONFIGURATION,
        configuration_id,
        revisions=[from_version, to_version],
    )
    by_version = {revision.revision: revision for revision in history}
    for name, version in (("from_version", from_version), ("to_version", to_version)):
        if version not in by_version:
            raise invalid(
                "query",
                name,
                f"no version {version}; this configuration has versions 1 to {latest.revision}",
                fr=f"pas de version {version} : cette configuration a les versions 1 à "
                f"{latest.revision}",
            )
    # Documents read as today's schema: a field added since is no change.
    before, after = (
        by_version[version].doc(ConfigurationDoc).model_dump(mode="json")
        for version in (from_version, to_version)
    )
    return ConfigurationDiff(
        configuration_id=configuration_id,
        from_version=from_version,
        to_version=to_version,
        changes=labelled_changes(json_diff(before, after)),
    )


@router.post(
    "/v1/configurations/{configuration_id}/versions/{version}/restore",
    response_model=ConfigurationOut,
    responses={**COMMAND, **errors(NotFound)},
    dependencies=[CommandLimit],
)
async def restore_configuration(
    configuration_id: str,
    version: Annotated[int, Path(ge=1, le=2**32 - 1)],
    principal: MemberPrincipal,
    bus: Bus,
    response: Response,
) -> ConfigurationOut:
    """Version `version` (its name, connector and document) becomes the newest version; the
    history keeps every version in between."""
    async with command(bus, principal.licence_id, principal.actor, response) as cmd:
        before = await _existing(bus, principal.licence_id, configuration_id)
        restored = await bus.store.history(
            principal.licence_id, Entity.CONFIGURATION, configuration_id, revisions=[version]
        )
        if not restored:
            raise _missing_version(configuration_id, version, before.revision)
        event = await cmd.apply(
            "configuration.restored",
            Entity.CONFIGURATION,
            restored[0].doc(ConfigurationDoc),
            entity_id=configuration_id,
            before=before,
        )
        active = await active_ids(bus, principal.licence_id)
    return _out(Revision.written_by(event), active)


def _doc(configuration_id: str, body: ConfigurationRequest) -> ConfigurationDoc:
    return ConfigurationDoc(
        configuration_id=configuration_id,
        name=body.name,
        connector_id=body.connector_id,
        document=body.document,
    )
