"""Micro-benchmark of classification: microseconds per event on realistic, varied lines.

Measured from a cold classifier (empty cache), on lines whose every digit varies.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import orjson

from processors.catalog import Catalog
from processors.classifier import Classifier
from processors.hostile import HOSTILE_CHARS, hostile_messages
from schemas import SyncEvent


@dataclass(frozen=True)
class ClassifyFigures:
    events: int
    seconds: float
    shapes: int
    cold_seconds: float
    hostile: int
    """Hostile messages classified (processors/hostile.py), each a new shape."""
    hostile_seconds: float

    def table(self) -> str:
        per_event = self.seconds / self.events * 1e6
        per_shape = self.cold_seconds / self.shapes * 1e6
        return "\n".join(
            [
                f"fleet mix   {per_event:6.1f} us/event  "
                f"({self.events / self.seconds:,.0f} events/s, {self.events:,} events, "
                "every digit varied, cache cold at start)",
                f"new shape   {per_shape:6.1f} us/event  (uncached path, {self.shapes} shapes)",
                f"hostile     {self.hostile_seconds / self.hostile * 1e6:6.1f} us/event  "
                f"(uncached, {self.hostile} messages of {HOSTILE_CHARS // 1024} KiB: runs of "
                "digits, separators, dashes, dots, @, quotes)",
            ]
        )


def varied_events(corpora: Iterable[Path], count: int, seed: int = 7) -> list[SyncEvent]:
    """`count` events from the corpora's lines, each with its numbers changed, as in a fleet."""
    rows = [orjson.loads(line) for path in corpora for line in path.read_bytes().splitlines()]
    rng = random.Random(seed)
    now = datetime.now(UTC)
    events = []
    for index in range(count):
        row = rows[index % len(rows)]
        message = "".join(str(rng.randint(0, 9)) if ch.isdigit() else ch for ch in row["message"])
        events.append(
            SyncEvent(
                connector_id=f"shop-{index % 1000}",
                occurred_at=now,
                operation=row["operation"],
                status=row.get("status"),
                code=row.get("code"),
                message=message,
            )
        )
    return events


def bench_classify(catalog: Catalog, events: list[SyncEvent], shapes: int) -> ClassifyFigures:
    cold = events[:shapes]
    fresh = [Classifier(catalog) for _ in cold]  # one each: every call takes the uncached path
    started = time.perf_counter()
    for classifier, event in zip(fresh, cold, strict=True):
        classifier.explain(event.operation, event.status, event.code, event.message)
    cold_seconds = time.perf_counter() - started

    explain = Classifier(catalog).explain
    started = time.perf_counter()
    for done, event in enumerate(events, 1):
        explain(event.operation, event.status, event.code, event.message)
        if done % 50_000 == 0:
            sys.stderr.write(f"\rclassified {done:,}/{len(events):,}")
    sys.stderr.write("\n")
    seconds = time.perf_counter() - started
    hostile = [
        (f"hostile.{round}.{kind}", message)
        for round in range(5)
        for kind, message in hostile_messages().items()
    ]
    started = time.perf_counter()
    for operation, message in hostile:  # a new operation each: every call takes the uncached path
        explain(operation, "erreur", None, message)
    hostile_seconds = time.perf_counter() - started
    return ClassifyFigures(
        len(events), seconds, len(cold), cold_seconds, len(hostile), hostile_seconds
    )
