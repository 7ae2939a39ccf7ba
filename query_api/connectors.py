"""GET /v1/connectors: the licence's connectors as they name themselves, for pickers.

Read from the per-minute rollup, so a connector is listed as long as its counts are kept
(`rollup_retention_days`), whatever its raw events' retention.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from infra.http_state import ClickHouseDep
from licences.http import ReaderPrincipal
from query_api.scope import Conditions

router = APIRouter(tags=["connectors"])

MAX_CONNECTORS = 500


class Connector(BaseModel):
    connector_id: str = Field(description="the name the connector reports itself by")
    last_event_at: datetime


class ConnectorList(BaseModel):
    connectors: list[Connector] = Field(
        max_length=MAX_CONNECTORS,
        description=f"by connector_id, the first {MAX_CONNECTORS}",
    )
    truncated: bool = Field(description=f"the licence has more than {MAX_CONNECTORS}")


@router.get(
    "/v1/connectors",
    response_model=ConnectorList,
    summary="This licence's connectors",
    description=f"At most {MAX_CONNECTORS}, by connector_id; `truncated` says there are more.",
)
async def connectors(principal: ReaderPrincipal, clickhouse: ClickHouseDep) -> ConnectorList:
    where = Conditions(principal.licence_id)
    rows = await clickhouse.arows(
        f"SELECT connector_id, max(last_event_at) FROM sync_minutes WHERE {where.sql} "
        "GROUP BY connector_id ORDER BY connector_id LIMIT {limit:UInt32}",
        {**where.parameters, "limit": MAX_CONNECTORS + 1},
    )
    return ConnectorList(
        connectors=[Connector(connector_id=c, last_event_at=at) for c, at in rows[:MAX_CONNECTORS]],
        truncated=len(rows) > MAX_CONNECTORS,
    )
