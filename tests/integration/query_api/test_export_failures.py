"""A failed export is never a short file that looks complete: through real HTTP (uvicorn on a
loopback port, curl and httpx as clients) on the real chdb, failed by ClickHouse itself.

The failure is a server-side limit, `max_result_bytes`, set on the engine the API reads
(chdb keeps a SET for the whole process): the newest events are short and the older ones long,
so the export's first pages fit under it and a later page is refused by ClickHouse mid-stream,
with no timing involved. Set lower, the very first page is refused, before any byte is sent.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from ero.api import api_server, create_api
from infra.broker import free_port
from infra.clickhouse import ClickHouse
from licences import Credentials
from query_api import export
from tests.support.query_store import Generator, QueryStore
from tests.support.readers import csv_export

SHORT, LONG = 100, 200
PAGE = 50
# Two pages of short events fit; a page of long ones (50 x 4 KiB) does not.
MID_STREAM_LIMIT = 60_000
# Not even the first page fits; the licence lookup (one short row) still does.
FIRST_PAGE_LIMIT = 3_000


class OneClient(ClickHouse):
    """Every query on the client a SET is made on (a SET holds for one chdb client; the API's
    queries take clients of a pool otherwise)."""

    def _reader(self) -> Any:
        return self._client


@dataclass(frozen=True)
class Served:
    url: str
    licence: Credentials
    clickhouse: ClickHouse

    @contextmanager
    def result_bytes_limited_to(self, limit: int) -> Iterator[None]:
        self.clickhouse.command(f"SET max_result_bytes = {int(limit)}")
        try:
            yield
        finally:
            self.clickhouse.command("SET max_result_bytes = 0")

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.licence.reader_token}"}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, clickhouse: ClickHouse) -> Iterator[Served]:
    clickhouse = OneClient(clickhouse.dsn)
    store = QueryStore(clickhouse, tmp_path_factory.mktemp("export-failures"))
    licence = store.licence("export failures")
    now = datetime.now(UTC)
    generator = Generator(8, now)
    events = [generator.event(now - timedelta(minutes=n)) for n in range(SHORT + LONG)]
    store.write(
        licence.licence_id,
        [*events[:SHORT], *(e.model_copy(update={"message": "x" * 4096}) for e in events[SHORT:])],
    )
    port = free_port()
    server = api_server(create_api(store.state), "127.0.0.1", port, hosted=True)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the API did not start"
        time.sleep(0.02)
    yield Served(f"http://127.0.0.1:{port}", licence, clickhouse)
    server.should_exit = True
    thread.join(timeout=30)


@pytest.fixture(autouse=True)
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(export, "EXPORT_PAGE", PAGE)


def _curl(served: Served, path: str, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["curl", "-sS", "-o", str(out), "-w", "%{http_code}", f"{served.url}{path}"]
        + [arg for name, value in served.auth.items() for arg in ("-H", f"{name}: {value}")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_complete_export_ends_cleanly(served: Served, tmp_path: Path) -> None:
    done = _curl(served, "/v1/reports/export", tmp_path / "all.csv")
    assert (done.returncode, done.stdout) == (0, "200"), done.stderr
    _, (_, *rows) = csv_export((tmp_path / "all.csv").read_bytes())
    assert len(rows) == SHORT + LONG
    assert not any("EXPORT INCOMPLETE" in cell for row in rows for cell in row)


def test_a_failure_mid_export_breaks_the_transfer_and_the_file_says_it_is_incomplete(
    served: Served, tmp_path: Path
) -> None:
    with served.result_bytes_limited_to(MID_STREAM_LIMIT):
        cut = _curl(served, "/v1/reports/export", tmp_path / "cut.csv")
    assert cut.stdout == "200"
    assert cut.returncode != 0, "curl saw a complete transfer"
    assert "transfer closed" in cut.stderr, cut.stderr
    _, (_, *rows) = csv_export((tmp_path / "cut.csv").read_bytes())
    *events, (marker,) = rows
    assert len(events) == 2 * PAGE
    assert marker.startswith("# EXPORT INCOMPLET")
    assert f"EXPORT INCOMPLETE (clickhouse_unavailable): reading failed after {2 * PAGE} rows" in (
        marker
    )


def test_a_failure_mid_ndjson_export_is_a_protocol_error_for_httpx(served: Served) -> None:
    lines: list[bytes] = []
    with (
        served.result_bytes_limited_to(MID_STREAM_LIMIT),
        httpx.stream(
            "GET",
            f"{served.url}/v1/reports/export",
            params={"format": "ndjson"},
            headers=served.auth,
        ) as response,
    ):
        assert response.status_code == 200
        with pytest.raises(httpx.RemoteProtocolError):
            lines.extend(line.encode() for line in response.iter_lines())
    assert len(lines) == 1 + 2 * PAGE + 1
    marker = orjson.loads(lines[-1])["export_incomplete"]
    assert (marker["code"], marker["rows"]) == ("clickhouse_unavailable", 2 * PAGE)
    assert marker["fr"].startswith("EXPORT INCOMPLET")
    assert marker["en"].startswith("EXPORT INCOMPLETE")


def test_a_failure_before_the_first_byte_is_a_503_saying_so_in_french_and_english(
    served: Served,
) -> None:
    with served.result_bytes_limited_to(FIRST_PAGE_LIMIT):
        response = httpx.get(f"{served.url}/v1/reports/export", headers=served.auth, timeout=30)
    assert response.status_code == 503, response.text[:300]
    assert response.headers["Retry-After"] == "5"
    detail = response.json()["detail"]
    assert detail["code"] == "clickhouse_unavailable"
    assert "rien n'a été exporté" in detail["fr"]
    assert "nothing was exported" in detail["en"]
