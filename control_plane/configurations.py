"""A licence's configurations as the control plane stores them, and their fields' names.

Activation is per connector: the ACTIVE_CONFIGURATION entity whose id is a connector_id points
at that connector's configuration; the one whose id is "" at the configuration for no connector
in particular, which every connector without one of its own loads (and which is what a licence
activated before configurations named a connector holds).
"""

from __future__ import annotations

from typing import Any

from control_plane.bus import ControlBus
from control_plane.diff import Change
from control_plane.store import Revision
from schemas.configuration import ConfigurationRequest
from schemas.control import ActiveConfigurationDoc, ConfigurationDoc, Entity

EVERY_CONNECTOR = ""
"""The ACTIVE_CONFIGURATION id of the configuration for connectors without their own."""


def activation_key(connector_id: str | None) -> str:
    return connector_id or EVERY_CONNECTOR


async def active_ids(bus: ControlBus, licence_id: str) -> dict[str, str]:
    """Each connector's (activation key's) active configuration id."""
    pointers = await bus.store.current([licence_id], Entity.ACTIVE_CONFIGURATION)
    found = {p.entity_id: p.doc(ActiveConfigurationDoc).configuration_id for p in pointers}
    return {key: configuration_id for key, configuration_id in found.items() if configuration_id}


def is_active(revision: Revision, active: dict[str, str]) -> bool:
    """A configuration moved to another connector since its activation is no longer active for
    the first one: its pointer is then stale and ignored."""
    doc = revision.doc(ConfigurationDoc)
    key = activation_key(doc.connector_id)
    return not revision.deleted and active.get(key) == doc.configuration_id


async def _active_for(bus: ControlBus, licence_id: str, key: str) -> Revision | None:
    pointer = await bus.store.one(licence_id, Entity.ACTIVE_CONFIGURATION, key)
    active_id = pointer.doc(ActiveConfigurationDoc).configuration_id if pointer else None
    if active_id is None:
        return None
    found = await bus.store.one(licence_id, Entity.CONFIGURATION, active_id)
    return found if found and is_active(found, {key: active_id}) else None


async def active_configuration(
    bus: ControlBus, licence_id: str, connector_id: str | None = None
) -> Revision | None:
    """What `connector_id` loads: its own active configuration, else the one for every
    connector (None when neither is active, or it was deleted)."""
    own = await _active_for(bus, licence_id, connector_id) if connector_id else None
    return own or await _active_for(bus, licence_id, EVERY_CONNECTOR)


async def active_configurations(bus: ControlBus, licence_id: str) -> list[ConfigurationDoc]:
    """Every connector's active configuration (the one for every connector first, then by
    connector)."""
    active = await active_ids(bus, licence_id)
    if not active:
        return []
    held = await bus.store.current([licence_id], Entity.CONFIGURATION)
    found = [revision.doc(ConfigurationDoc) for revision in held if is_active(revision, active)]
    return sorted(found, key=lambda doc: doc.connector_id or "")


_SCHEMA: dict[str, Any] = ConfigurationRequest.model_json_schema()


def _resolved(node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    return {**_SCHEMA["$defs"][ref.rsplit("/", 1)[1]], **node} if ref else node


def field_labels(path: str) -> tuple[str, str]:
    """The French and English names of a JSON-pointer path of a configuration ("/document/
    orders/lookback_days": "Commandes › Jours repris"); a key the schema does not name (an
    advanced option's) is named as it is. The document level itself is left unsaid."""
    node: dict[str, Any] = _SCHEMA
    names: list[tuple[str, str]] = []
    for part in path.strip("/").split("/"):
        key = part.replace("~1", "/").replace("~0", "~")
        child = _resolved(node).get("properties", {}).get(key)
        if child is None:
            names.append((key, key))
            node = {}
            continue
        if key != "document":
            names.append((child["title_fr"], child["title_en"]))
        node = child
    return " › ".join(fr for fr, _ in names), " › ".join(en for _, en in names)


def labelled_changes(changes: list[Change]) -> list[Change]:
    labelled = []
    for change in changes:
        label_fr, label_en = field_labels(change.path)
        labelled.append(change.model_copy(update={"label_fr": label_fr, "label_en": label_en}))
    return labelled
