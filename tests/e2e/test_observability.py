"""/metrics after real traffic, /readyz up and down, ids in the worker's logs."""

from __future__ import annotations

import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from ero.api import create_api, read_only_state
from ero.settings import Settings
from infra.broker import EmbeddedBroker, free_port
from infra.clickhouse import ClickHouse
from tests.support.factories import sync_line
from tests.support.pipeline import BIN, Pipeline, wait_until

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(pipeline: Pipeline) -> Samples:
    response = httpx.get(f"{pipeline.url}/metrics", timeout=30)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(found: Samples, name: str, **labels: str) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


@pytest.mark.pipeline
def test_metrics_count_what_the_pipeline_did(pipeline: Pipeline) -> None:
    before = samples(pipeline)
    licence = pipeline.create_licence("metrics")
    lines = [sync_line(connector_id="shop-metrics") for _ in range(5)]
    with pipeline.client(licence.connector_key) as connector:
        answer = connector.post("/v1/events", json=[*lines, {"connector_id": "shop-metrics"}])
    assert answer.json()["accepted"] == 5
    with pipeline.client(licence.reader_token) as reader:
        wait_until(lambda: len(reader.get("/v1/reports").json()["items"]) == 5)

    def grown(found: Samples, name: str, **labels: str) -> bool:
        return value(found, name, **labels) > value(before, name, **labels)

    def with_the_letter_counted() -> Samples | None:
        # A scrape reads the histograms, then queries ClickHouse for the gauge: a letter
        # inserted in between is counted there before its insert is timed.
        found = samples(pipeline)
        counted = grown(found, "ero_dead_letters", status="pending")
        timed = grown(found, "ero_clickhouse_insert_seconds_count", table="dead_letters")
        return found if counted and timed else None

    after = wait_until(with_the_letter_counted)

    def grew(name: str, by: float = 1, **labels: str) -> bool:
        return value(after, name, **labels) - value(before, name, **labels) >= by

    assert grew("ero_ingest_events_total", 5, outcome="accepted")
    assert grew("ero_ingest_events_total", 1, outcome="rejected")
    assert grew("ero_classified_events_total", 5)
    assert grew("ero_classification_batch_seconds_count")
    assert grew("ero_clickhouse_insert_seconds_count", table="sync_events")
    assert grew("ero_clickhouse_insert_rows_sum", 5, table="sync_events")
    for topic in ("ero.events.raw", "ero.events.dead-letter"):  # the classified one is a feed
        assert grew("ero_batch_records_count", topic=topic), topic
    lags = {
        dict(labels)["partition"]: lag
        for (name, labels), lag in after.items()
        if name == "ero_consumer_lag" and dict(labels)["topic"] == "ero.events.raw"
    }
    assert set(lags) == {"0", "1", "2", "3"}, "no consumer lag for some raw partitions"

    def caught_up() -> bool:
        lag = [
            v
            for (name, labels), v in samples(pipeline).items()
            if name == "ero_consumer_lag" and dict(labels)["topic"].startswith("ero.events.")
        ]
        return bool(lag) and sum(lag) == 0

    wait_until(caught_up)  # once the commits follow the inserts


@pytest.mark.pipeline
def test_a_worker_alone_serves_metrics_on_its_port(tmp_path: Path) -> None:
    port = free_port()
    with EmbeddedBroker() as broker:
        worker = Pipeline(
            tmp_path,
            command="worker",
            ERO_KAFKA_BOOTSTRAP=broker.bootstrap,
            ERO_METRICS_PORT=str(port),
        )
        with worker.log.open("ab") as log:
            process = subprocess.Popen(
                [str(BIN / "ero"), "worker"], env=worker.env, stdout=log, stderr=log
            )
        try:

            def raw_partitions() -> set[str] | None:
                assert process.poll() is None, worker.log.read_text()[-2000:]
                try:
                    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
                    families = list(text_string_to_metric_families(text))
                except (httpx.TransportError, ValueError):
                    # not up yet, or another program took the port first (then the worker
                    # exits: the check above says why)
                    return None
                found = {
                    sample.labels["partition"]
                    for family in families
                    for sample in family.samples
                    if sample.name == "ero_consumer_lag"
                    and sample.labels["topic"] == "ero.events.raw"
                }
                return found if len(found) == 4 else None

            assert wait_until(raw_partitions, timeout=90) == {"0", "1", "2", "3"}
        finally:
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=60) == 0


def test_a_busy_metrics_port_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        worker = Pipeline(tmp_path, ERO_KAFKA_BOOTSTRAP="127.0.0.1:9", ERO_METRICS_PORT=str(port))
        done = worker.ero("worker")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == (
        f"ero: error: cannot serve /metrics on 127.0.0.1:{port} (Address already in use): "
        "stop what uses that port or set ERO_METRICS_PORT"
    )


@pytest.mark.pipeline
def test_ready_when_broker_and_clickhouse_answer(pipeline: Pipeline) -> None:
    answer = httpx.get(f"{pipeline.url}/readyz", timeout=30)
    assert answer.status_code == 200
    assert answer.json() == {
        "ready": True,
        "checks": {"broker": True, "clickhouse": True},
        "down": [],
    }
    assert httpx.get(f"{pipeline.url}/healthz", timeout=30).status_code == 200


@pytest.fixture
def api_without_broker(clickhouse: ClickHouse) -> Iterator[TestClient]:
    with TestClient(create_api(read_only_state(Settings(), clickhouse))) as client:
        yield client


def test_not_ready_names_what_is_down(api_without_broker: TestClient) -> None:
    answer = api_without_broker.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["down"] == ["broker"]
    assert api_without_broker.get("/healthz").status_code == 200


@pytest.mark.pipeline
def test_worker_logs_carry_licence_connector_and_letter_ids(pipeline: Pipeline) -> None:
    licence = pipeline.create_licence("logs")
    with pipeline.client(licence.connector_key) as connector:
        connector.post("/v1/events", json=[{"connector_id": "shop-logs", "operation": "x"}])

    def stored() -> dict[str, object] | None:
        for line in pipeline.log.read_text().splitlines():
            if '"dead_letter_stored"' in line and licence.licence_id in line:
                try:
                    entry: dict[str, object] = orjson.loads(line)
                except orjson.JSONDecodeError:  # the line being written as we read
                    continue
                return entry
        return None

    entry = wait_until(stored)
    assert entry["connector_id"] == "shop-logs"
    assert entry["letter_id"]
