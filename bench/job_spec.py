"""What every contender of `ero-bench pipeline` shares: the job's spec, the stopwatch that
prints its result, the plain validate-and-classify step, and the way a contender process ends.

A leaf of the benchmark: the contenders (bench/ours.py, bench/peers/) import it, and so does the
dispatcher (bench/job.py) that imports them, so no import goes round a circle.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from bench.measure import rss_mb
from processors.classifier import Classifier
from projections.sync_events import Accepted, Row, row
from schemas import SyncEvent


@dataclass(frozen=True)
class JobSpec:
    bootstrap: str
    topic: str
    events: int
    data_dir: Path
    run: str
    """Names this run's consumer groups (and our intermediate topic): runs never share them."""
    max_records: int = 20_000
    flush_seconds: float = 1.0

    @property
    def clickhouse_dsn(self) -> str:
        return f"chdb://{self.data_dir / 'clickhouse'}"


@dataclass(frozen=True)
class JobResult:
    contender: str
    events: int
    seconds: float
    cpu_seconds: float
    """CPU time of the contender's process (all its threads), first record to last insert."""
    rss_mb: float
    broker_cpu_seconds: float = 0.0
    """CPU time of the broker over the contender's whole run (measured by the bench)."""

    @property
    def rate(self) -> float:
        return self.events / self.seconds

    @property
    def cpu_us_per_event(self) -> float:
        return self.cpu_seconds / self.events * 1e6

    @property
    def broker_cpu_us_per_event(self) -> float:
        return self.broker_cpu_seconds / self.events * 1e6


class Stopwatch:
    """First record in -> last event inserted."""

    def __init__(self, contender: str, events: int) -> None:
        self._contender = contender
        self._events = events
        self._first: float | None = None
        self._first_cpu = 0.0
        self.inserted = 0

    def record_in(self) -> None:
        if self._first is None:
            self._first = time.perf_counter()
            self._first_cpu = time.process_time()

    def inserted_now(self, rows: int) -> bool:
        """Count inserted rows; True once all are in (and the result is printed)."""
        self.inserted += rows
        if self.inserted < self._events:
            return False
        assert self._first is not None
        result = JobResult(
            self._contender,
            self.inserted,
            time.perf_counter() - self._first,
            time.process_time() - self._first_cpu,
            rss_mb(),
        )
        sys.stdout.write(orjson.dumps(asdict(result)).decode() + "\n")
        sys.stdout.flush()
        return True


def classified_rows(classifier: Classifier, records: Iterable[dict[str, Any]]) -> list[Row]:
    """What a peer does per event, written the plain way: validate the event against the
    contract (pydantic), classify it; rows for the same writer, so every contender inserts
    identically."""
    rows: list[Row] = []
    for record in records:
        accepted = Accepted(record["licence_id"], datetime.fromisoformat(record["received_at"]))
        for raw in record["events"]:
            event = SyncEvent.model_validate(raw)
            found = classifier.explain(event.operation, event.status, event.code, event.message)
            rows.append(row(accepted, event, found))
    return rows


def finish() -> None:
    """A contender process ends as soon as its figure is out: nothing of it is kept."""
    sys.stdout.flush()
    os._exit(0)
