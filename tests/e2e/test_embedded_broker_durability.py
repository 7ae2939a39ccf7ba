"""Nothing accepted is lost on the embedded default: kill -9 of the whole `ero run` process
group while connectors post, then the next `ero run`; and the memory-only broker's memory stays
bounded under sustained load (its high-volume topics are recycled once stored)."""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from bench.measure import rss_mb
from tests.support.factories import sync_line
from tests.support.pipeline import Pipeline, wait_until
from tests.support.readers import report_items

pytestmark = pytest.mark.pipeline


class Connector(threading.Thread):
    """Posts batches of fresh events until told to stop or the API goes away, at most
    `bytes_per_second` if given; remembers the ids of every batch answered 202 and the bytes
    it posted."""

    def __init__(
        self,
        pipeline: Pipeline,
        key: str,
        batch: int,
        message: str,
        bytes_per_second: float | None = None,
    ) -> None:
        super().__init__(daemon=True)
        self._pipeline, self._key, self._batch, self._message = pipeline, key, batch, message
        self._rate = bytes_per_second
        self.accepted: list[str] = []
        self.posted_bytes = 0
        self.halt = threading.Event()

    def run(self) -> None:
        started = time.monotonic()
        with self._pipeline.client(self._key) as connector:
            n = 0
            while not self.halt.is_set():
                if self._rate is not None:
                    ahead = self.posted_bytes / self._rate - (time.monotonic() - started)
                    self.halt.wait(max(0.0, ahead))
                lines = [self._line(n + i) for i in range(self._batch)]
                n += self._batch
                try:
                    response = connector.post("/v1/events", json=lines)
                except httpx.TransportError:
                    return  # the process is gone: this batch's answer never came
                assert response.status_code == 202, response.text
                self.posted_bytes += len(response.request.content)
                self.accepted += [line["event_id"] for line in lines]

    def _line(self, n: int) -> dict[str, Any]:
        return sync_line(operation="stock.export", status="ok", message=f"{self._message} {n}")


def _dashboard_count(reader: httpx.Client) -> int:
    """How many events the dashboard counts (stored ones)."""
    levels = reader.get("/v1/dashboard").json()["levels"]
    return sum(level["count"] for level in levels.values())


def _stored_at_least(reader: httpx.Client, count: int) -> int | None:
    stored = _dashboard_count(reader)
    return stored if stored >= count else None


def _counts(pipeline: Pipeline, token: str, accepted: list[str]) -> dict[str, int]:
    with pipeline.client(token) as reader:
        # Counted once all are in, or once the wait is over (the figures then say what is lost).
        with contextlib.suppress(AssertionError):
            wait_until(lambda: _dashboard_count(reader) >= len(accepted), timeout=60, every=0.5)
        stored = Counter(item["event_id"] for item in report_items(reader))
    present = sum(1 for event_id in accepted if stored[event_id] >= 1)
    return {
        "accepted": len(accepted),
        "present": present,
        "lost": len(accepted) - present,
        "duplicated": sum(count - 1 for count in stored.values() if count > 1),
    }


def test_kill_9_of_the_whole_run_mid_stream_loses_and_doubles_nothing(tmp_path: Path) -> None:
    # Batches stored every second at most: at the kill, the log holds accepted, unstored events.
    pipeline = Pipeline(tmp_path / "var", ERO_SINK_LINGER_SECONDS="1", ERO_SINK_FLUSH_SECONDS="2")
    try:
        pipeline.start(own_group=True)
        demo = pipeline.demo_licence
        connector = Connector(pipeline, demo.connector_key, 200, "avant le kill -9")
        connector.start()
        with pipeline.client(demo.reader_token) as reader:  # mid-stream: the stage is storing
            stored_before = wait_until(lambda: _stored_at_least(reader, 2000), timeout=90)
        accepted_before = len(connector.accepted)
        pipeline.kill_group()
        connector.join(timeout=30)
        assert pipeline.broker is not None, "the embedded broker died with `ero run`"

        pipeline.start(own_group=True)  # re-attaches to the broker left running
        counts = _counts(pipeline, demo.reader_token, connector.accepted)
        unstored = accepted_before - stored_before  # at least: more were accepted meanwhile
        print(f"\nkill -9 of `ero run`'s process group ({unstored}+ unstored): {counts}")
        assert (counts["lost"], counts["duplicated"]) == (0, 0), counts
        assert "resuming from what it holds" in pipeline.log.read_text()

        assert pipeline.stop() == 0
        assert pipeline.broker is None, "a clean stop leaves no broker behind"
        assert not (tmp_path / "var" / "broker.json").exists()
    finally:
        pipeline.ensure_stopped()


RECYCLE_BYTES = 2 << 20
BROKER_GROWTH_BOUND_MB = 48
FLOWED_TIMES_THE_BOUND = 3
MAX_SECONDS = 45


def _appended_mb(log: Path) -> float:
    """What went through the recycled topics, as each recycle logged it."""
    entries = [orjson.loads(line) for line in log.read_text().splitlines() if "_recycled" in line]
    appended: list[int] = [
        e["appended_bytes"] for e in entries if e.get("event") == "broker_topics_recycled"
    ]
    return sum(appended) / 2**20


def test_the_broker_memory_stays_bounded_under_sustained_load_and_nothing_is_lost(
    tmp_path: Path,
) -> None:
    """The broker holds each record until its topic is recycled: its memory above idle stays
    under a bound while several times as many bytes go through it. Small batches (flush 0.3 s)
    so that a recycle waits little for the stage to store what the log holds."""
    pipeline = Pipeline(
        tmp_path / "var",
        ERO_BROKER_RECYCLE_BYTES=str(RECYCLE_BYTES),
        ERO_SINK_FLUSH_SECONDS="0.3",
        ERO_SINK_LINGER_SECONDS="0.1",
    )
    try:
        pipeline.start()
        demo = pipeline.demo_licence
        broker = pipeline.broker
        assert broker is not None
        idle = rss_mb(broker.pid)
        padding = "x" * 700  # ~1 KB lines: bytes, not requests, are what the broker keeps
        connectors = [
            Connector(pipeline, demo.connector_key, 500, f"{padding} lot {n}", 0.8 * 2**20)
            for n in range(2)
        ]
        for connector in connectors:
            connector.start()
        # Until enough went through (a few seconds on a quiet machine), or the time is up.
        target = FLOWED_TIMES_THE_BOUND * BROKER_GROWTH_BOUND_MB
        started, peak, checked = time.monotonic(), 0.0, 0.0
        while time.monotonic() - started < MAX_SECONDS:
            peak = max(peak, rss_mb(broker.pid))
            time.sleep(0.1)
            if time.monotonic() - checked > 1:
                checked = time.monotonic()
                if _appended_mb(pipeline.log) >= target:
                    break
        seconds = time.monotonic() - started
        for connector in connectors:
            connector.halt.set()
            connector.join(timeout=30)
        counts = _counts(pipeline, demo.reader_token, [i for c in connectors for i in c.accepted])
        posted = sum(connector.posted_bytes for connector in connectors) / 2**20
        flowed = _appended_mb(pipeline.log)
        print(
            f"\nposted {posted:.0f} MiB in {seconds:.0f} s, {flowed:.0f} MiB through the recycled "
            f"topics; broker RSS {idle:.0f} MB idle, {peak:.0f} MB at most: {counts}"
        )
        assert (counts["lost"], counts["duplicated"]) == (0, 0), counts
        assert peak - idle < BROKER_GROWTH_BOUND_MB
        assert flowed >= target
        assert pipeline.stop() == 0
    finally:
        pipeline.ensure_stopped()


def test_a_second_run_on_the_same_data_dir_is_one_line_and_leaves_the_first_intact(
    tmp_path: Path,
) -> None:
    """It would re-attach to the first run's broker, then stop it on its way out."""
    pipeline = Pipeline(tmp_path / "var")
    try:
        pipeline.start()
        broker = pipeline.broker
        done = Pipeline(tmp_path / "var").ero("run")  # another API port, the same data dir
        assert done.returncode == 2
        assert done.stderr.strip().count("\n") == 0, done.stderr
        assert "is in use by `ero run`" in done.stderr
        assert pipeline.broker == broker
        with pipeline.client(pipeline.demo_licence.connector_key) as connector:
            assert connector.post("/v1/events", json=[sync_line()]).status_code == 202
        assert pipeline.stop() == 0
    finally:
        pipeline.ensure_stopped()
