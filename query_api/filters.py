"""Report filters: parsed from the query string, turned into bound SQL and into report URLs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Query
from pydantic import AwareDatetime, BaseModel, ConfigDict

from infra.http_errors import invalid
from query_api.instants import Instant, instant_query
from query_api.scope import Conditions
from schemas import Level, Origin
from schemas.text import fold

MAX_UINT64 = 2**64 - 1


class ReportFilters(BaseModel):
    model_config = ConfigDict(frozen=True)

    level: list[Level] = []
    origin: list[Origin] = []
    connector_id: list[str] = []
    config_id: list[str] = []
    operation: list[str] = []
    sync_id: list[str] = []
    fingerprint: list[int] = []
    reference: str | None = None
    reference_prefix: str | None = None
    q: str | None = None
    since: AwareDatetime | None = None
    until: AwareDatetime | None = None

    def conditions(self, licence_id: str) -> Conditions:
        where = Conditions(licence_id)
        if self.level:
            where.add("level IN {levels:Array(String)}", levels=[v.value for v in self.level])
        if self.origin:
            where.add("origin IN {origins:Array(String)}", origins=[v.value for v in self.origin])
        for column, values in (
            ("connector_id", self.connector_id),
            ("config_id", self.config_id),
            ("operation", self.operation),
            ("sync_id", self.sync_id),
        ):
            if values:
                where.add(f"{column} IN {{{column}s:Array(String)}}", **{f"{column}s": values})
        if self.fingerprint:
            where.add("fingerprint IN {fingerprints:Array(UInt64)}", fingerprints=self.fingerprint)
        if self.reference:
            where.add("reference = {reference:String}", reference=self.reference)
        if self.reference_prefix:
            where.add(
                "reference LIKE {reference_prefix:String}",
                reference_prefix=like_escape(self.reference_prefix) + "%",
            )
        if self.since:
            where.add("occurred_at >= {since:DateTime64(3, 'UTC')}", since=self.since)
        if self.until:
            where.add("occurred_at < {until:DateTime64(3, 'UTC')}", until=self.until)
        # Substrings of the folded message, so the n-gram skip index can prune granules.
        for index, term in enumerate(fold(self.q or "").split()):
            where.add(
                f"message_folded LIKE {{term{index}:String}}",
                **{f"term{index}": "%" + like_escape(term) + "%"},
            )
        return where

    def query(self) -> dict[str, Any]:
        """These filters as query-string values (what a report URL or an export header shows)."""
        return {
            key: [_text(v) for v in value] if isinstance(value, list) else _text(value)
            for key, value in self.model_dump(exclude_defaults=True).items()
        }

    def report_url(self) -> str:
        """The /v1/reports URL that lists exactly the events these filters select."""
        return "/v1/reports?" + urlencode(self.query(), doseq=True)


def like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _text(value: Any) -> str:
    return iso(value) if isinstance(value, datetime) else str(value)


def check_range(since: datetime | None, until: datetime | None) -> None:
    if since and until and since >= until:
        raise invalid(
            "query",
            "until",
            "until must be after since (since is inclusive, until exclusive)",
            fr="la fin doit suivre le début (début inclus, fin exclue)",
        )


async def report_filters(
    level: Annotated[list[Level], Query(description="success | alert | error; repeatable")] = [],  # noqa: B006
    origin: Annotated[list[Origin], Query(description="cms | erp | connector; repeatable")] = [],  # noqa: B006
    connector_id: Annotated[list[str], Query(description="repeatable")] = [],  # noqa: B006
    config_id: Annotated[list[str], Query(description="cloud configuration; repeatable")] = [],  # noqa: B006
    operation: Annotated[list[str], Query(description="e.g. order.import; repeatable")] = [],  # noqa: B006
    sync_id: Annotated[list[str], Query(description="sync run; repeatable")] = [],  # noqa: B006
    fingerprint: Annotated[
        list[Annotated[int, Query(ge=0, le=MAX_UINT64)]],
        Query(description="error group id (decimal UInt64); repeatable"),
    ] = [],  # noqa: B006
    reference: Annotated[
        str | None, Query(description="exact order/product/customer reference")
    ] = None,
    reference_prefix: Annotated[
        str | None, Query(min_length=1, description="references starting with this")
    ] = None,
    q: Annotated[
        str | None, Query(description="words in the message; case and accents ignored")
    ] = None,
    since: Annotated[Instant | None, instant_query("inclusive")] = None,
    until: Annotated[Instant | None, instant_query("exclusive")] = None,
) -> ReportFilters:
    check_range(since, until)
    return ReportFilters(
        level=level,
        origin=origin,
        connector_id=connector_id,
        config_id=config_id,
        operation=operation,
        sync_id=sync_id,
        fingerprint=fingerprint,
        reference=reference,
        reference_prefix=reference_prefix,
        q=q,
        since=since,
        until=until,
    )
