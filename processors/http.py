"""Operator endpoint publishing a rule catalog: what `ero rules publish` calls."""

from __future__ import annotations

import structlog
from fastapi import APIRouter, status
from pydantic import BaseModel

from infra.http_errors import Conflict, Unavailable, errors
from infra.http_state import ClickHouseDep, ProducerDep, TopicsDep
from infra.log_producer import LogUnavailable
from licences.http import Operator
from processors.catalog import Catalog
from processors.catalog_store import CatalogStore
from processors.live_rules import CATALOG_KEY

log = structlog.get_logger(__name__)
router = APIRouter(tags=["operators"], dependencies=[Operator])


class Published(BaseModel):
    version: int
    rules: int


@router.post(
    "/v1/admin/rules",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Published,
    responses=errors(Conflict, Unavailable),
    summary="Publish a rule catalog; workers apply it to new events within seconds",
)
async def publish_rules(
    catalog: Catalog, clickhouse: ClickHouseDep, producer: ProducerDep, topics: TopicsDep
) -> Published:
    current = await CatalogStore(clickhouse).alatest_version()
    if catalog.version <= current:
        raise Conflict(
            "catalog_not_newer",
            f"La version {catalog.version} du catalogue n’est pas plus récente que la version "
            f"publiée {current} : augmentez `version`.",
            f"catalog version {catalog.version} is not newer than the published version "
            f"{current}: raise `version` in the catalog",
        )
    try:
        await producer.send_all(
            [(topics.rules, CATALOG_KEY, catalog.model_dump_json().encode(), ())]
        )
    except LogUnavailable as exc:
        raise Unavailable(
            "log_unavailable",
            "Le journal est injoignable ; le catalogue n’a pas été publié, réessayez.",
            "the log is unreachable; the catalog was not published, retry",
            headers={"Retry-After": "5"},
        ) from exc
    log.info("rule_catalog_published", version=catalog.version)
    return Published(version=catalog.version, rules=len(catalog.rules))
