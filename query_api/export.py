"""GET /v1/reports/export: every event a report's filters select, streamed as CSV or NDJSON.

The rows are the report's own pages (same query, same order), fetched one page at a time, so
memory stays flat however many rows match. The file opens with the filters it was made with.

A failure is never a short file that looks complete. The first page is read before anything is
sent, so a failure there is an HTTP error (503 when ClickHouse fails). Once the 200 is out, a
failure writes a last line saying the export is incomplete, then drops the connection without
ending the chunked body: curl exits non-zero, a browser marks the download failed.

The `excel-fr` dialect is for a merchant opening the file in French Excel: French column names,
levels, origins and action labels, and times in the merchant's time zone (`tz`) as Excel reads
them (31/12/2026 23:59:59). The standard dialect stays the machine's: ISO 8601 in UTC.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from functools import cache
from typing import Annotated, Any
from zoneinfo import ZoneInfo, available_timezones

import orjson
import structlog
from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from infra.http_errors import Unavailable, errors, invalid
from infra.http_state import ClickHouseDep
from infra.retry import infrastructure_failure
from licences.http import ReaderPrincipal
from query_api.filters import ReportFilters, iso, report_filters
from query_api.reports import ReportItem, report_pages
from schemas import Level, Origin
from schemas.actions import ACTIONS, RESET_PC_KEY

router = APIRouter(tags=["reports"])
log = structlog.get_logger(__name__)

EXPORT_PAGE = 5_000
RETRY_AFTER_SECONDS = 5


class Format(StrEnum):
    CSV = "csv"
    NDJSON = "ndjson"


class Dialect(StrEnum):
    STANDARD = "standard"
    # French Excel: ';' separators and a UTF-8 BOM so accents open right.
    EXCEL_FR = "excel-fr"


class ExportInterrupted(RuntimeError):
    """Raised out of the response body once its incomplete-marker line is written: the server
    then closes the connection without the chunked body's last chunk (HTTP/1.1 has no other way
    to tell a client that a 200 was cut short)."""


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


# The same columns, as a French merchant reads them (excel-fr).
FRENCH_COLUMNS = {
    "occurred_at": "Date",
    "received_at": "Reçu le",
    "event_id": "Identifiant",
    "connector_id": "Connecteur",
    "level": "Niveau",
    "origin": "Origine",
    "operation": "Opération",
    "reference": "Référence",
    "status": "Statut",
    "code": "Code",
    "message": "Message",
    "sync_id": "Synchronisation",
    "config_id": "Configuration",
    "duration_ms": "Durée (ms)",
    "rule_id": "Règle",
    "remediation_hint": "Solution",
    "remediation_url": "Article d'aide",
    "remediation_action": "Action conseillée",
    "attributes": "Attributs",
}
_FRENCH_LEVELS = {Level.SUCCESS: "Succès", Level.ALERT: "Alerte", Level.ERROR: "Erreur"}
_FRENCH_ORIGINS = {Origin.CMS: "CMS", Origin.ERP: "ERP", Origin.CONNECTOR: "Connecteur"}
_FRENCH_ACTIONS = {
    **{name.value: spec.label_fr for name, spec in ACTIONS.items()},
    RESET_PC_KEY: "Réinitialiser la clé PC",
}
# What French Excel reads as a date and time.
LOCAL_TIME = "%d/%m/%Y %H:%M:%S"
TZ_CHARS = 64


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def zone(name: str) -> ZoneInfo:
    """The IANA time zone `name` (what the browser's Intl reports); 422 naming `tz` if the
    system's zone database does not know it (never a path ZoneInfo would try to open)."""
    if name not in _zones():
        raise invalid(
            "query",
            "tz",
            "fuseau horaire inconnu : un nom IANA comme Europe/Paris / unknown time zone: an "
            "IANA name such as Europe/Paris",
        )
    return ZoneInfo(name)


# OWASP's CSV-injection list: a cell starting so is run as a formula by Excel, LibreOffice or
# Google Sheets (the message, a reference, even the export's own header are caller text).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")


def inert(cell: str) -> str:
    """The cell as a spreadsheet shows it as text: a leading quote disarms a formula. Every CSV
    cell this module writes, in every dialect, goes through here."""
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


def _cell(value: Any) -> str:
    """Numbers are written as numbers (a negative one stays one); any text is made inert."""
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return inert(str(value))


def _values(item: ReportItem) -> dict[str, Any]:
    return {
        **item.model_dump(mode="json", exclude={"remediation", "attributes"}),
        "occurred_at": iso(item.occurred_at),
        "received_at": iso(item.received_at),
        "remediation_hint": item.remediation.hint,
        "remediation_url": item.remediation.url,
        "remediation_action": item.remediation.action,
        "attributes": orjson.dumps(item.attributes).decode() if item.attributes else "",
    }


def csv_row(item: ReportItem) -> list[str]:
    values = _values(item)
    return [_cell(values[column]) for column in CSV_COLUMNS]


def french_row(item: ReportItem, local: ZoneInfo) -> list[str]:
    action = item.remediation.action
    values = {
        **_values(item),
        "occurred_at": item.occurred_at.astimezone(local).strftime(LOCAL_TIME),
        "received_at": item.received_at.astimezone(local).strftime(LOCAL_TIME),
        "level": _FRENCH_LEVELS[item.level],
        "origin": _FRENCH_ORIGINS[item.origin],
        "remediation_action": _FRENCH_ACTIONS.get(action, action) if action else None,
    }
    return [_cell(values[column]) for column in CSV_COLUMNS]


def header(licence_id: str, filters: ReportFilters) -> dict[str, object]:
    return {
        "licence_id": licence_id,
        "generated_at": iso(datetime.now(UTC)),
        "filters": filters.query(),
    }


def _incomplete(code: str, rows: int) -> tuple[str, str]:
    """What the marker line says, in French and English."""
    return (
        f"EXPORT INCOMPLET ({code}) : la lecture a échoué après {rows} lignes, "
        "ce fichier n'a pas tout ; relancez l'export",
        f"EXPORT INCOMPLETE ({code}): reading failed after {rows} rows, "
        "this file is missing some; export again",
    )


@dataclass(frozen=True)
class _Csv:
    dialect: Dialect
    local: ZoneInfo

    def _lines(self, rows: Iterable[list[str]]) -> bytes:
        buffer = io.StringIO()
        delimiter = ";" if self.dialect is Dialect.EXCEL_FR else ","
        csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
        return buffer.getvalue().encode()

    def opening(self, about: dict[str, object]) -> bytes:
        # One cell (quoted, made inert) however the filters are spelt: a `q` holding the
        # delimiter must not split the header into cells of its own.
        bom = "\ufeff".encode() if self.dialect is Dialect.EXCEL_FR else b""
        comment = "# ero export " + orjson.dumps(about).decode()
        columns = (
            [FRENCH_COLUMNS[c] for c in CSV_COLUMNS]
            if self.dialect is Dialect.EXCEL_FR
            else list(CSV_COLUMNS)
        )
        return bom + self._lines([[inert(comment)], [inert(column) for column in columns]])

    def rows(self, items: list[ReportItem]) -> bytes:
        if self.dialect is Dialect.EXCEL_FR:
            return self._lines(french_row(item, self.local) for item in items)
        return self._lines(csv_row(item) for item in items)

    def incomplete(self, code: str, rows: int) -> bytes:
        fr, en = _incomplete(code, rows)
        return self._lines([[inert(f"# {fr} / {en}")]])


class _Ndjson:
    def opening(self, about: dict[str, object]) -> bytes:
        return orjson.dumps({"export": about}) + b"\n"

    def rows(self, items: list[ReportItem]) -> bytes:
        return b"".join(item.model_dump_json().encode() + b"\n" for item in items)

    def incomplete(self, code: str, rows: int) -> bytes:
        fr, en = _incomplete(code, rows)
        marker = {"code": code, "rows": rows, "fr": fr, "en": en}
        return orjson.dumps({"export_incomplete": marker}) + b"\n"


def _failure_code(exc: BaseException) -> str:
    return "clickhouse_unavailable" if infrastructure_failure(exc) else "export_failed"


async def export_bytes(
    first: list[ReportItem],
    pages: AsyncIterator[list[ReportItem]],
    about: dict[str, object],
    writer: _Csv | _Ndjson,
) -> AsyncIterator[bytes]:
    """The file: its opening, the first page already read, then the next pages as they come;
    a failure on the way ends it with the incomplete marker, then ExportInterrupted."""
    yield writer.opening(about) + writer.rows(first)
    written = len(first)
    try:
        async for items in pages:
            yield writer.rows(items)
            written += len(items)
    except Exception as exc:
        code = _failure_code(exc)
        log.error("export_interrupted", code=code, rows=written, error=repr(exc))
        yield writer.incomplete(code, written)
        raise ExportInterrupted(f"export cut after {written} rows ({code})") from exc


def _unavailable() -> Unavailable:
    return Unavailable(
        "clickhouse_unavailable",
        "ClickHouse n'a pas pu lire les rapports ; rien n'a été exporté. "
        f"Réessayez dans {RETRY_AFTER_SECONDS} s.",
        "ClickHouse could not read the reports; nothing was exported. "
        f"Retry in {RETRY_AFTER_SECONDS} s.",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


@router.get(
    "/v1/reports/export",
    summary="Every event the report filters select, as CSV or NDJSON",
    description=f"Streamed {EXPORT_PAGE} rows at a time, so memory holds one page whatever the "
    "file's size. CSV text cells starting with = + - @, tab, CR, LF or NUL get a leading ' "
    "(every dialect, the header line included); numbers stay numbers.",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "The file, streamed. If reading fails once it has started, its last "
            "line says `EXPORT INCOMPLETE` and the connection is dropped before the end of the "
            "body (the client sees a failed transfer)."
        },
        503: {
            **errors(Unavailable)[503],
            "description": "ClickHouse failed before the first byte; nothing was sent",
        },
    },
)
async def export(
    principal: ReaderPrincipal,
    clickhouse: ClickHouseDep,
    filters: Annotated[ReportFilters, Depends(report_filters)],
    format: Annotated[Format, Query(description="csv | ndjson")] = Format.CSV,
    dialect: Annotated[
        Dialect,
        Query(
            description="standard | excel-fr (';', a UTF-8 BOM, French column names and "
            "values, local times); CSV only"
        ),
    ] = Dialect.STANDARD,
    tz: Annotated[
        str,
        Query(
            max_length=TZ_CHARS,
            description="IANA time zone of the excel-fr times (the browser's "
            "Intl.DateTimeFormat().resolvedOptions().timeZone); the standard dialect and NDJSON "
            "stay in UTC",
        ),
    ] = "UTC",
) -> StreamingResponse:
    local = zone(tz)
    pages = report_pages(clickhouse, principal.licence_id, filters, EXPORT_PAGE)
    try:
        first: list[ReportItem] = await anext(pages, [])
    except Exception as exc:
        if not infrastructure_failure(exc):
            raise
        log.warning("export_unavailable", error=repr(exc))
        raise _unavailable() from exc
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    writer = _Ndjson() if format is Format.NDJSON else _Csv(dialect, local)
    return StreamingResponse(
        export_bytes(first, pages, header(principal.licence_id, filters), writer),
        media_type="text/csv; charset=utf-8" if format is Format.CSV else "application/x-ndjson",
        headers={"Content-Disposition": f'attachment; filename="ero-report-{stamp}.{format}"'},
    )
