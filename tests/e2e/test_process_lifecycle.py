"""Starting, stopping and restarting the processes as a user (or an operator) does."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import orjson
import pytest

from infra.broker import free_port
from tests.support.factories import sync_line
from tests.support.pipeline import Pipeline, wait_until

pytestmark = pytest.mark.pipeline


def _event(message: str) -> dict[str, str]:
    return sync_line(connector_id="shop-r", operation="stock.export", status="ok", message=message)


def _broker_alive(bootstrap: str) -> bool:
    found = subprocess.run(
        ["pgrep", "-f", f"listener-url tcp://{bootstrap}"], capture_output=True, check=False
    )
    return found.returncode == 0


def test_restart_keeps_clickhouse_data_and_leaves_no_broker_behind(tmp_path: Path) -> None:
    pipeline = Pipeline(tmp_path / "var").start()
    demo = pipeline.demo_licence
    first = [_event(f"avant redémarrage {i}") for i in range(10)]
    with pipeline.client(demo.connector_key) as connector:
        assert connector.post("/v1/events", json=first).status_code == 202
    with pipeline.client(demo.reader_token) as reader:
        wait_until(lambda: len(reader.get("/v1/reports").json()["items"]) == 10)
    bootstrap = pipeline.runtime["kafka_bootstrap"]
    assert _broker_alive(bootstrap)

    assert pipeline.stop() == 0
    assert not _broker_alive(bootstrap), "the embedded broker outlived the pipeline"
    assert not (tmp_path / "var" / "runtime.json").exists()

    pipeline.start()
    with pipeline.client(demo.reader_token) as reader:  # the same licence and keys still work
        items = reader.get("/v1/reports").json()["items"]
        assert {i["event_id"] for i in items} == {e["event_id"] for e in first}
        with pipeline.client(demo.connector_key) as connector:
            assert connector.post("/v1/events", json=[_event("après")]).status_code == 202
        wait_until(lambda: len(reader.get("/v1/reports").json()["items"]) == 11)
    assert pipeline.stop() == 0


def test_ctrl_c_right_after_accepting_still_projects_everything(tmp_path: Path) -> None:
    """The embedded broker keeps records in memory: a clean stop drains the log first."""
    pipeline = Pipeline(tmp_path / "var").start()
    demo = pipeline.demo_licence
    events = [_event(f"juste avant l'arrêt {i}") for i in range(2000)]
    with pipeline.client(demo.connector_key) as connector:
        assert connector.post("/v1/events", json=events).status_code == 202
    assert pipeline.stop() == 0
    pipeline.start()
    with pipeline.client(demo.reader_token) as reader:
        dashboard = reader.get("/v1/dashboard").json()
    assert dashboard["levels"]["success"]["count"] == 2000
    assert pipeline.stop() == 0


def test_api_answers_503_with_retry_after_when_the_broker_is_unreachable(tmp_path: Path) -> None:
    closed = f"127.0.0.1:{free_port()}"
    api = Pipeline(
        tmp_path / "var", "api", ERO_KAFKA_BOOTSTRAP=closed, ERO_BROKER_TIMEOUT_SECONDS="2"
    )
    # No API is running yet: the CLI writes the licence straight into ClickHouse.
    licence = api.create_licence("offline shop")
    api.start()
    try:
        with api.client(licence.connector_key) as connector:
            response = connector.post("/v1/events", json=[_event("perdu ?")])
        assert response.status_code == 503
        assert int(response.headers["Retry-After"]) > 0
        assert "nothing of this batch was accepted" in response.json()["detail"]["en"]
        ready = httpx.get(f"{api.url}/readyz", timeout=10)
        assert ready.status_code == 503
        assert ready.json()["checks"] == {"broker": False, "clickhouse": True}
    finally:
        assert api.stop() == 0


def test_separate_processes_need_a_shared_broker(tmp_path: Path) -> None:
    for role in ("worker", "api"):
        done = Pipeline(tmp_path / "var").ero(role)
        assert done.returncode == 2
        assert done.stderr.count("\n") == 1, done.stderr
        assert "ERO_KAFKA_BOOTSTRAP" in done.stderr


def test_licence_create_json_prints_exactly_the_three_fields(tmp_path: Path) -> None:
    done = Pipeline(tmp_path / "var").ero("licence", "create", "json shop", "--json")
    assert done.returncode == 0, done.stderr
    assert set(orjson.loads(done.stdout)) == {"licence_id", "connector_key", "reader_token"}


def test_a_busy_api_port_is_one_clear_line_and_starts_nothing(tmp_path: Path) -> None:
    pipeline = Pipeline(tmp_path / "var")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", pipeline.port))
        busy.listen()
        done = pipeline.ero("run")
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0, done.stderr
    assert f"127.0.0.1:{pipeline.port}" in done.stderr
    assert not (tmp_path / "var" / "runtime.json").exists()


CONTROL_OUTAGE = (sys.executable, "-m", "tests.support.control_outage")


def test_ctrl_c_is_bounded_in_time_when_the_projection_cannot_finish(tmp_path: Path) -> None:
    """ClickHouse refuses every control insert (transient: retried for ever); Ctrl-C still
    stops `ero run` within drain + stop timeouts, non-zero, saying what was not drained."""
    pipeline = Pipeline(
        tmp_path / "var",
        launcher=CONTROL_OUTAGE,
        ERO_CONTROL_VISIBLE_TIMEOUT_SECONDS="0.5",
        ERO_DRAIN_TIMEOUT_SECONDS="2",
        ERO_STOP_TIMEOUT_SECONDS="3",
    ).start()
    try:
        with pipeline.client(pipeline.demo_licence.reader_token) as reader:
            queued = reader.post("/v1/actions", json={"action": "clear_cache"})
        assert queued.status_code == 202, queued.text  # in the log, never projected
        started = time.monotonic()
        code = pipeline.stop(timeout=30)
        took = time.monotonic() - started
    finally:
        pipeline.ensure_stopped()
    assert code == 3
    assert took < 2 + 3 + 5, f"the stop took {took:.1f} s"
    gave_up = [
        line
        for line in pipeline.log.read_text().splitlines()
        if '"drain_timed_out"' in line or '"stop_timed_out"' in line
    ]
    assert gave_up, "no line says what was not drained"
    assert "ero.control" in orjson.loads(gave_up[0])["not_drained"]
