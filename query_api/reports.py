"""GET /v1/reports: newest first, every filter combinable, keyset cursor pagination."""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from ero.http_errors import invalid
from ero.services import Services, services
from licences.http import ReaderPrincipal
from query_api.filters import ReportFilters, report_filters
from schemas import Level, Origin, Remediation

router = APIRouter(tags=["reports"])

MAX_PAGE = 500


class ReportItem(BaseModel):
    event_id: uuid.UUID
    connector_id: str
    occurred_at: datetime
    received_at: datetime
    operation: str
    reference: str
    status: str | None
    code: str | None
    message: str
    sync_id: str | None
    config_id: str | None
    attributes: dict[str, str]
    level: Level
    origin: Origin
    remediation: Remediation
    rule_id: str
    rule_version: int


class ReportPage(BaseModel):
    items: list[ReportItem]
    next_cursor: str | None


_SELECT = """
SELECT event_id, connector_id, occurred_at, received_at, operation, reference, status, code,
       message, sync_id, config_id, attributes, level, origin, rule_id, rule_version,
       remediation_hint, remediation_hint_en, remediation_url, remediation_action
FROM sync_events FINAL
WHERE {where}
ORDER BY occurred_at DESC, event_id DESC
LIMIT {{limit:UInt32}}
"""


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC)


def _item(row: tuple[Any, ...]) -> ReportItem:
    (
        event_id,
        connector_id,
        occurred_at,
        received_at,
        operation,
        reference,
        status,
        code,
        message,
        sync_id,
        config_id,
        attributes,
        level,
        origin,
        rule_id,
        rule_version,
        hint,
        hint_en,
        url,
        action,
    ) = row
    return ReportItem(
        event_id=event_id,
        connector_id=connector_id,
        occurred_at=_as_utc(occurred_at),
        received_at=_as_utc(received_at),
        operation=operation,
        reference=reference,
        status=status or None,
        code=code or None,
        message=message,
        sync_id=sync_id or None,
        config_id=config_id or None,
        attributes=attributes,
        level=level,
        origin=origin,
        remediation=Remediation(
            hint=hint or None, hint_en=hint_en or None, url=url or None, action=action or None
        ),
        rule_id=rule_id,
        rule_version=rule_version,
    )


def encode_cursor(item: ReportItem) -> str:
    position = [item.occurred_at.isoformat(), str(item.event_id)]
    return base64.urlsafe_b64encode(orjson.dumps(position)).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        occurred_at, event_id = orjson.loads(
            base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        )
        return datetime.fromisoformat(occurred_at).astimezone(UTC), uuid.UUID(event_id)
    except (ValueError, TypeError, binascii.Error, orjson.JSONDecodeError) as exc:
        raise invalid(
            "query", "cursor", "malformed cursor: pass back the next_cursor of the previous page"
        ) from exc


@router.get("/v1/reports", response_model=ReportPage, summary="Search the full sync reports")
async def reports(
    principal: ReaderPrincipal,
    svc: Annotated[Services, Depends(services)],
    filters: Annotated[ReportFilters, Depends(report_filters)],
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
) -> ReportPage:
    where = filters.conditions(principal.licence_id)
    if cursor:
        occurred_at, event_id = decode_cursor(cursor)
        where.add(
            "(occurred_at, event_id) < ({c_at:DateTime64(3, 'UTC')}, {c_id:UUID})",
            c_at=occurred_at.replace(tzinfo=None),
            c_id=event_id,
        )
    rows = await svc.clickhouse.arows(
        _SELECT.format(where=where.sql), {**where.parameters, "limit": limit + 1}
    )
    items = [_item(row) for row in rows[:limit]]
    next_cursor = encode_cursor(items[-1]) if len(rows) > limit else None
    return ReportPage(items=items, next_cursor=next_cursor)
