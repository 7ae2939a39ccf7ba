"""Report filters: parsed from the query string, turned into bound SQL and into report URLs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Query
from pydantic import AwareDatetime, BaseModel, ConfigDict

from ero.http_errors import invalid
from query_api.scope import Conditions
from schemas import Level, Origin
from schemas.text import fold


class ReportFilters(BaseModel):
    model_config = ConfigDict(frozen=True)

    level: list[Level] = []
    origin: list[Origin] = []
    connector_id: list[str] = []
    operation: list[str] = []
    reference: str | None = None
    fingerprint: str | None = None
    q: str | None = None
    since: AwareDatetime | None = None
    until: AwareDatetime | None = None

    def conditions(self, licence_id: str) -> Conditions:
        where = Conditions(licence_id)
        if self.level:
            where.add("level IN {levels:Array(String)}", levels=[v.value for v in self.level])
        if self.origin:
            where.add("origin IN {origins:Array(String)}", origins=[v.value for v in self.origin])
        if self.connector_id:
            where.add("connector_id IN {connectors:Array(String)}", connectors=self.connector_id)
        if self.operation:
            where.add("operation IN {operations:Array(String)}", operations=self.operation)
        if self.reference:
            where.add("reference = {reference:String}", reference=self.reference)
        if self.fingerprint:
            where.add("fingerprint = {fingerprint:UInt64}", fingerprint=int(self.fingerprint, 16))
        if self.since:
            where.add("occurred_at >= {since:DateTime64(3, 'UTC')}", since=_utc(self.since))
        if self.until:
            where.add("occurred_at < {until:DateTime64(3, 'UTC')}", until=_utc(self.until))
        for index, term in enumerate(fold(self.q or "").split()):
            where.add(
                f"position(message_folded, {{term{index}:String}}) > 0", **{f"term{index}": term}
            )
        return where

    def report_url(self) -> str:
        """The /v1/reports URL that lists exactly the events these filters select."""
        query = {
            key: [_iso(v) if isinstance(v, datetime) else str(v) for v in value]
            if isinstance(value, list)
            else (_iso(value) if isinstance(value, datetime) else value)
            for key, value in self.model_dump(exclude_defaults=True).items()
        }
        return "/v1/reports?" + urlencode(query, doseq=True)


def _utc(value: datetime) -> datetime:
    # clickhouse-connect binds naive datetimes as they are: hand it UTC wall time.
    return value.astimezone(UTC).replace(tzinfo=None)


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def report_filters(
    level: Annotated[list[Level], Query(description="success | alert | error; repeatable")] = [],  # noqa: B006
    origin: Annotated[list[Origin], Query(description="cms | erp | connector; repeatable")] = [],  # noqa: B006
    connector_id: Annotated[list[str], Query(description="repeatable")] = [],  # noqa: B006
    operation: Annotated[list[str], Query(description="e.g. order.import; repeatable")] = [],  # noqa: B006
    reference: Annotated[
        str | None, Query(description="exact order/product/customer reference")
    ] = None,
    fingerprint: Annotated[
        str | None,
        Query(pattern="^[0-9a-f]{16}$", description="an error group (see /v1/groups)"),
    ] = None,
    q: Annotated[
        str | None, Query(description="words in the message; case and accents ignored")
    ] = None,
    since: Annotated[AwareDatetime | None, Query(description="RFC 3339, inclusive")] = None,
    until: Annotated[AwareDatetime | None, Query(description="RFC 3339, exclusive")] = None,
) -> ReportFilters:
    if since and until and since >= until:
        raise invalid("query", "until", "until must be after since")
    return ReportFilters(
        level=level,
        origin=origin,
        connector_id=connector_id,
        operation=operation,
        reference=reference,
        fingerprint=fingerprint,
        q=q,
        since=since,
        until=until,
    )
