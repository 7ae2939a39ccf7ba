"""GET /v1/reports/export: every event a report's filters select, streamed as CSV or NDJSON.

The rows are the report's own pages (same query, same order), fetched one page at a time, so
memory stays flat however many rows match. The file opens with the filters it was made with.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from infra.http_state import ClickHouseDep
from licences.http import ReaderPrincipal
from query_api.filters import ReportFilters, iso, report_filters
from query_api.reports import ReportItem, report_pages

router = APIRouter(tags=["reports"])

EXPORT_PAGE = 5_000


class Format(StrEnum):
    CSV = "csv"
    NDJSON = "ndjson"


class Dialect(StrEnum):
    STANDARD = "standard"
    # French Excel: ';' separators, a UTF-8 BOM so accents open right, and no cell that Excel
    # would run as a formula (a message is connector text, possibly shop-customer text).
    EXCEL_FR = "excel-fr"


CSV_COLUMNS = (
    "occurred_at",
    "received_at",
    "event_id",
    "connector_id",
    "level",
    "origin",
    "operation",
    "reference",
    "status",
    "code",
    "message",
    "sync_id",
    "config_id",
    "duration_ms",
    "rule_id",
    "remediation_hint",
    "remediation_url",
    "remediation_action",
    "attributes",
)


def csv_row(item: ReportItem) -> list[str]:
    values = {
        **item.model_dump(mode="json", exclude={"remediation", "attributes"}),
        "occurred_at": iso(item.occurred_at),
        "received_at": iso(item.received_at),
        "remediation_hint": item.remediation.hint,
        "remediation_url": item.remediation.url,
        "remediation_action": item.remediation.action,
        "attributes": orjson.dumps(item.attributes).decode() if item.attributes else "",
    }
    return ["" if values[column] is None else str(values[column]) for column in CSV_COLUMNS]


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert(cell: str) -> str:
    """The cell as Excel shows it as text: a leading quote disarms a formula."""
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


def _csv_lines(rows: Iterable[list[str]], delimiter: str) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode()


def header(licence_id: str, filters: ReportFilters) -> dict[str, object]:
    return {
        "licence_id": licence_id,
        "generated_at": iso(datetime.now(UTC)),
        "filters": filters.query(),
    }


async def export_bytes(
    pages: AsyncIterator[list[ReportItem]],
    about: dict[str, object],
    format: Format,
    dialect: Dialect,
) -> AsyncIterator[bytes]:
    if format is Format.NDJSON:
        yield orjson.dumps({"export": about}) + b"\n"
        async for items in pages:
            yield b"".join(item.model_dump_json().encode() + b"\n" for item in items)
        return
    delimiter = ";" if dialect is Dialect.EXCEL_FR else ","
    bom = "\ufeff".encode() if dialect is Dialect.EXCEL_FR else b""
    yield bom + b"# ero export " + orjson.dumps(about) + b"\r\n"
    yield _csv_lines([list(CSV_COLUMNS)], delimiter)
    async for items in pages:
        rows = (csv_row(item) for item in items)
        if dialect is Dialect.EXCEL_FR:
            rows = ([inert(cell) for cell in row] for row in rows)
        yield _csv_lines(rows, delimiter)


@router.get(
    "/v1/reports/export",
    summary="Every event the report filters select, as CSV or NDJSON",
    response_class=StreamingResponse,
)
async def export(
    principal: ReaderPrincipal,
    clickhouse: ClickHouseDep,
    filters: Annotated[ReportFilters, Depends(report_filters)],
    format: Annotated[Format, Query(description="csv | ndjson")] = Format.CSV,
    dialect: Annotated[
        Dialect, Query(description="standard | excel-fr (';' and a UTF-8 BOM); CSV only")
    ] = Dialect.STANDARD,
) -> StreamingResponse:
    pages = report_pages(clickhouse, principal.licence_id, filters, EXPORT_PAGE)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return StreamingResponse(
        export_bytes(pages, header(principal.licence_id, filters), format, dialect),
        media_type="text/csv; charset=utf-8" if format is Format.CSV else "application/x-ndjson",
        headers={"Content-Disposition": f'attachment; filename="ero-report-{stamp}.{format}"'},
    )
