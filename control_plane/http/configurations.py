"""Cloud configurations: create, update (a new version each time), delete, activate, history, diff.

A configuration's versions are the revisions of its entity; deleting writes a last revision
marked deleted, so the history survives the deletion.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel

from control_plane.bus import ControlBus
from control_plane.configurations import active_configuration
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
from infra.http_errors import NotFound, errors, invalid
from licences.http import MemberPrincipal, ReaderPrincipal
from schemas.configuration import ConfigurationRequest, ConnectorConfiguration
from schemas.control import ActiveConfigurationDoc, ConfigurationDoc, Entity

router = APIRouter(tags=["configurations"], dependencies=[StorableBody])


class ConfigurationOut(BaseModel):
    configuration_id: str
    name: str
    version: int
    active: bool
    deleted: bool
    document: ConnectorConfiguration
    updated_at: datetime
    updated_by: str


class ConfigurationDiff(BaseModel):
    configuration_id: str
    from_version: int
    to_version: int
    changes: list[Change]


def _out(revision: Revision, active_id: str | None) -> ConfigurationOut:
    # A just-created configuration is active only once activated.
    doc = revision.doc(ConfigurationDoc)
    return ConfigurationOut(
        configuration_id=doc.configuration_id,
        name=doc.name,
        version=revision.revision,
        active=doc.configuration_id == active_id and not revision.deleted,
        deleted=revision.deleted,
        document=doc.document,
        updated_at=revision.updated_at,
        updated_by=revision.actor,
    )


async def _active_id(bus: ControlBus, licence_id: str) -> str | None:
    active = await active_configuration(bus, licence_id)
    return active.entity_id if active else None


async def _existing(bus: ControlBus, licence_id: str, configuration_id: str) -> Revision:
    found = await bus.store.one(licence_id, Entity.CONFIGURATION, configuration_id)
    if found is None or found.deleted:
        raise not_found("configuration", configuration_id)
    return found


@router.get("/v1/configurations/schema", summary="The JSON Schema every document must satisfy")
async def configuration_schema(_: ReaderPrincipal) -> dict[str, Any]:
    return ConnectorConfiguration.model_json_schema()


@router.get("/v1/configurations", response_model=list[ConfigurationOut])
async def list_configurations(principal: ReaderPrincipal, bus: Bus) -> list[ConfigurationOut]:
    active_id = await _active_id(bus, principal.licence_id)
    found = await bus.store.current([principal.licence_id], Entity.CONFIGURATION)
    return [_out(revision, active_id) for revision in found if not revision.deleted]


@router.post(
    "/v1/configurations",
    status_code=status.HTTP_201_CREATED,
    response_model=ConfigurationOut,
    responses=COMMAND,
    dependencies=[CommandLimit],
)
async def create_configuration(
    body: ConfigurationRequest,
    principal: MemberPrincipal,
    bus: Bus,
    response: Response,
) -> ConfigurationOut:
    configuration_id = str(uuid.uuid4())
    doc = ConfigurationDoc(
        configuration_id=configuration_id, name=body.name, document=body.document
    )
    async with command(bus, principal.licence_id, principal.actor, response) as cmd:
        event = await cmd.apply(
            "configuration.created", Entity.CONFIGURATION, doc, entity_id=configuration_id
        )
    return _out(Revision.written_by(event), active_id=None)


@router.get(
    "/v1/configurations/{configuration_id}",
    response_model=ConfigurationOut,
    responses=errors(NotFound),
)
async def get_configuration(
    configuration_id: str, principal: ReaderPrincipal, bus: Bus
) -> ConfigurationOut:
    found = await _existing(bus, principal.licence_id, configuration_id)
    return _out(found, await _active_id(bus, principal.licence_id))


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
    doc = ConfigurationDoc(
        configuration_id=configuration_id, name=body.name, document=body.document
    )
    async with command(bus, principal.licence_id, principal.actor, response) as cmd:
        before = await _existing(bus, principal.licence_id, configuration_id)
        event = await cmd.apply(
            "configuration.updated",
            Entity.CONFIGURATION,
            doc,
            entity_id=configuration_id,
            before=before,
        )
        active_id = await _active_id(bus, principal.licence_id)
    return _out(Revision.written_by(event), active_id)


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
    return _out(Revision.written_by(event), None)


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
    """The configuration the connector fetches at its next sync start."""
    async with command(bus, principal.licence_id, principal.actor, response) as cmd:
        found = await _existing(bus, principal.licence_id, configuration_id)
        await cmd.apply(
            "configuration.activated",
            Entity.ACTIVE_CONFIGURATION,
            ActiveConfigurationDoc(configuration_id=configuration_id),
            before=await cmd.current(Entity.ACTIVE_CONFIGURATION),
        )
    return _out(found, configuration_id)


@router.get(
    "/v1/configurations/{configuration_id}/versions",
    response_model=list[ConfigurationOut],
    responses=errors(NotFound),
)
async def configuration_versions(
    configuration_id: str, principal: ReaderPrincipal, bus: Bus
) -> list[ConfigurationOut]:
    """Every version, oldest first, with who changed it and when (a deletion included)."""
    history = await bus.store.history(principal.licence_id, Entity.CONFIGURATION, configuration_id)
    if not history:
        raise not_found("configuration", configuration_id)
    active_id = await _active_id(bus, principal.licence_id)
    latest = history[-1].revision
    return [
        _out(revision, active_id if revision.revision == latest else None) for revision in history
    ]


@router.get(
    "/v1/configurations/{configuration_id}/diff",
    response_model=ConfigurationDiff,
    responses=errors(NotFound),
)
async def configuration_diff(
    configuration_id: str,
    principal: ReaderPrincipal,
    bus: Bus,
    from_version: Annotated[int, Query(ge=1)],
    to_version: Annotated[int, Query(ge=1)],
) -> ConfigurationDiff:
    history = await bus.store.history(principal.licence_id, Entity.CONFIGURATION, configuration_id)
    if not history:
        raise not_found("configuration", configuration_id)
    by_version = {revision.revision: revision for revision in history}
    for name, version in (("from_version", from_version), ("to_version", to_version)):
        if version not in by_version:
            raise invalid(
                "query",
                name,
                f"no version {version}; this configuration has versions 1 to "
                f"{history[-1].revision}",
                fr=f"pas de version {version} : cette configuration a les versions 1 à "
                f"{history[-1].revision}",
            )
    return ConfigurationDiff(
        configuration_id=configuration_id,
        from_version=from_version,
        to_version=to_version,
        changes=json_diff(by_version[from_version].body, by_version[to_version].body),
    )
