"""What licences' connectors reported at their last handshake (connector, ERP and shop versions,
control_plane/handshake.py), read for many licences at once: the fleet's error groups and the
vendor's licence list show them."""

from __future__ import annotations

from collections.abc import Sequence

from infra.clickhouse import ClickHouse
from schemas.control import AgentDoc

# control_entities is sorted by licence first: one range read per licence asked.
LATEST = """
SELECT licence_id, argMax(body, revision) AS body FROM control_entities FINAL
WHERE licence_id IN {ids:Array(String)} AND entity = 'agent' AND entity_id = ''
GROUP BY licence_id
"""


async def reported(clickhouse: ClickHouse, licence_ids: Sequence[str]) -> dict[str, AgentDoc]:
    """The latest AgentDoc of each of `licence_ids` that ever synced."""
    if not licence_ids:
        return {}
    rows = await clickhouse.arows(LATEST, {"ids": list(licence_ids)})
    return {licence_id: AgentDoc.model_validate_json(body) for licence_id, body in rows}
