"""What a merchant sees through the real API: every report page, a comparable snapshot."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson

from licences import Credentials
from tests.support.pipeline import Pipeline


def report_items(reader: httpx.Client, limit: int = 500, **params: Any) -> list[dict[str, Any]]:
    """Every report line the filters select, following the API's cursor page by page."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        page = reader.get("/v1/reports", params=query)
        assert page.status_code == 200, page.text
        body = page.json()
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items


def dashboard_total(reader: httpx.Client) -> int:
    """Events the dashboard counts (the per-minute rollup), every level together."""
    return sum(c["count"] for c in reader.get("/v1/dashboard").json()["levels"].values())


class Reader:
    """What a merchant sees, over a fixed window so two snapshots compare."""

    def __init__(self, pipeline: Pipeline, licence: Credentials) -> None:
        self.pipeline = pipeline
        self.licence = licence
        now = datetime.now(UTC)
        self.window = {
            "since": (now - timedelta(days=1)).isoformat(),
            "until": (now + timedelta(hours=1)).isoformat(),
        }

    def snapshot(self) -> dict[str, Any]:
        with self.pipeline.client(self.licence.reader_token) as reader:
            items = report_items(reader)
            return {
                "reports": sorted((i["event_id"], i["level"], i["rule_id"]) for i in items),
                "dashboard": reader.get("/v1/dashboard", params=self.window).json(),
                "groups": reader.get("/v1/groups", params=self.window).json(),
            }

    def count(self) -> int:
        with self.pipeline.client(self.licence.reader_token) as reader:
            return len(report_items(reader))


def post(pipeline: Pipeline, licence: Credentials, lines: list[dict[str, Any]]) -> None:
    with pipeline.client(licence.connector_key) as connector:
        response = connector.post("/v1/events", json=lines)
    assert response.status_code == 202, response.text


def csv_export(body: bytes, delimiter: str = ",") -> tuple[dict[str, Any], list[list[str]]]:
    """An export's CSV file: what its first line says it holds, and every row after it (the
    column names first), read the way a spreadsheet would."""
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""), delimiter=delimiter))
    (opening,), *rest = rows
    about: dict[str, Any] = orjson.loads(opening.removeprefix("# ero export "))
    return about, rest
