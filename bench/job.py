"""One contender of `ero bench pipeline`, run in a process of its own.

Every contender does the same job on the same preloaded topic: consume from the start, classify
(except the floor), insert into `sync_events` of its own chdb (one process per chdb path), in
blocks of at most `max_records` records or `flush_seconds`. The clock starts at the first record
consumed and stops when the last event is inserted, so group joins are not counted.

    python -m bench.job ours|quix|faust|floor --bootstrap H:P --topic T --events N --data DIR \
        --run ID
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

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


def rss_mb(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


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


def _contenders() -> dict[str, Callable[[JobSpec], None]]:
    from bench.ours import run_ours
    from bench.peers.faust_per_event import run_faust
    from bench.peers.floor import run_floor
    from bench.peers.quix import run_quix

    return {"ours": run_ours, "quix": run_quix, "faust": run_faust, "floor": run_floor}


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.job")
    parser.add_argument("contender", choices=("ours", "quix", "faust", "floor"))
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--events", type=int, required=True)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--run", required=True)
    args = parser.parse_args()
    spec = JobSpec(args.bootstrap, args.topic, args.events, args.data, args.run)
    _contenders()[args.contender](spec)


if __name__ == "__main__":
    main()
