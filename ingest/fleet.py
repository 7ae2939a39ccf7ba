"""A fleet of connectors reporting their sync runs through the SDK, as real ones do.

K connectors per licence, L licences. A connector's run is one batch of lines drawn from the
labelled corpora (~90 % successes, ~7 % alerts, ~3 % errors), every number and reference varied.
Some connectors start with a Monday-morning catch-up: a burst of runs back to back.
"""

from __future__ import annotations

import asyncio
import random
import re
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from ingest.sdk import ConnectorClient, DeliveryFailed, Undelivered, retryable
from licences import Credentials

LEVEL_MIX = {"success": 0.90, "alert": 0.07, "error": 0.03}
_DIGIT_RUNS = re.compile(r"\d+")


class Templates:
    """Corpus lines by expected level, each usable as a template whose numbers vary."""

    def __init__(self, corpora: Sequence[Path]) -> None:
        self.by_level: dict[str, list[dict[str, Any]]] = {level: [] for level in LEVEL_MIX}
        for path in corpora:
            for raw in path.read_bytes().splitlines():
                row = orjson.loads(raw)
                self.by_level[row["expected"]["level"]].append(row)

    def line(self, rng: random.Random) -> dict[str, Any]:
        level = rng.choices(tuple(LEVEL_MIX), weights=tuple(LEVEL_MIX.values()))[0]
        row = rng.choice(self.by_level[level])
        message = _DIGIT_RUNS.sub(
            lambda run: str(rng.randrange(10 ** len(run[0]))).zfill(len(run[0])), row["message"]
        )
        return {
            "operation": row["operation"],
            "status": row.get("status"),
            "code": row.get("code"),
            "message": message,
            "reference": f"{row['operation'].split('.')[0][:3].upper()}-{rng.randint(1, 999_999)}",
        }


@dataclass(frozen=True)
class FleetShape:
    licences: int = 10
    connectors_per_licence: int = 5
    runs: int = 20
    min_lines: int = 50
    max_lines: int = 500
    burst_share: float = 0.2
    """Share of connectors whose first runs are a Monday-morning catch-up (no pause between)."""
    pause_seconds: float = 0.0
    """Pause between two runs of one connector outside a burst."""

    @property
    def connectors(self) -> int:
        return self.licences * self.connectors_per_licence


class RateLimit:
    """At most `per_second` lines a second across the fleet (None: as fast as accepted)."""

    def __init__(self, per_second: float | None) -> None:
        self._per_second = per_second
        self._next = time.monotonic()

    async def take(self, lines: int) -> None:
        if self._per_second is None:
            return
        now = time.monotonic()
        start = max(self._next, now)
        self._next = start + lines / self._per_second
        if start > now:
            await asyncio.sleep(start - now)


@dataclass
class FleetFigures:
    lines: int = 0
    accepted: int = 0
    rejected: int = 0
    retries: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)

    def percentile(self, share: float) -> float:
        return percentile(self.latencies, share)


def percentile(values: Sequence[float], share: float) -> float:
    """The value `share` of the way up the sorted values (0.0 when there are none)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


class Fleet:
    def __init__(
        self,
        api_url: str,
        licences: Sequence[Credentials],
        shape: FleetShape,
        templates: Templates,
        *,
        rate: float | None = None,
        seed: int = 11,
        stop_after: float | None = None,
        progress: Callable[[FleetFigures], None] | None = None,
    ) -> None:
        """`stop_after`: seconds after which connectors start no new run."""
        self._api_url = api_url
        self._licences = licences
        self._shape = shape
        self._templates = templates
        self._rate = RateLimit(rate)
        self._seed = seed
        self._progress = progress
        self._stop_after = stop_after
        self._deadline = float("inf")
        self.figures = FleetFigures()

    async def run(self, *, pregenerate: bool = False) -> FleetFigures:
        """`pregenerate`: draw every line before the clock starts, so that measuring the server's
        accept rate does not also measure this simulator's line drawing."""
        connectors = []
        for licence in self._licences:
            for number in range(self._shape.connectors_per_licence):
                rng = random.Random(f"{self._seed}-{licence.licence_id}-{number}")
                connector_id = f"shop-{licence.licence_id[:8]}-{number}"
                runs: Iterable[list[dict[str, Any]]] = (
                    self._run_lines(connector_id, rng) for _ in range(self._shape.runs)
                )
                if pregenerate:
                    runs = list(runs)
                connectors.append(self._connector(licence, rng, runs))
        started = time.perf_counter()
        if self._stop_after is not None:
            self._deadline = time.monotonic() + self._stop_after
        reporter = asyncio.create_task(self._report())
        try:
            await asyncio.gather(*connectors)
        finally:
            reporter.cancel()
            self.figures.seconds = time.perf_counter() - started
            if self._progress is not None:
                self._progress(self.figures)
        return self.figures

    async def _report(self) -> None:
        while self._progress is not None:
            self._progress(self.figures)
            await asyncio.sleep(0.5)

    async def _connector(
        self, licence: Credentials, rng: random.Random, runs: Iterable[list[dict[str, Any]]]
    ) -> None:
        shape = self._shape
        bursting = rng.random() < shape.burst_share
        burst_runs = rng.randint(shape.runs // 4, shape.runs // 2) if bursting else 0
        client = ConnectorClient(
            self._api_url,
            licence.connector_key,
            batch_size=shape.max_lines,
            on_request=self.figures.latencies.append,
            on_undelivered=_stop,
        )
        async with client:
            for number, lines in enumerate(runs):
                if time.monotonic() >= self._deadline:
                    break
                if number >= burst_runs and shape.pause_seconds:
                    await asyncio.sleep(shape.pause_seconds * rng.uniform(0.5, 1.5))
                await self._rate.take(len(lines))
                for line in lines:
                    await client.add(line)
                await client.flush()  # a run's lines go together, at the end of the run
                self.figures.lines += len(lines)
        figures = self.figures
        figures.accepted += client.delivered.accepted
        figures.rejected += len(client.delivered.rejected)
        figures.retries += client.delivered.retries

    def _run_lines(self, connector_id: str, rng: random.Random) -> list[dict[str, Any]]:
        count = rng.randint(self._shape.min_lines, self._shape.max_lines)
        sync_id = str(uuid.UUID(int=rng.getrandbits(128)))
        start = datetime.now(UTC) - timedelta(seconds=count)
        return [
            self._templates.line(rng)
            | {
                "connector_id": connector_id,
                "sync_id": sync_id,
                "occurred_at": (start + timedelta(seconds=index)).isoformat(),
            }
            for index in range(count)
        ]


async def _stop(batch: Undelivered) -> None:
    """A simulated fleet stops at the first batch the API did not take (and writes no file); a
    refusal (4xx) is raised by the SDK itself, as `Refused`."""
    if batch.status is None or retryable(batch.status):
        raise DeliveryFailed(batch.reason)


def fleet_progress(label: str, total: int) -> Callable[[FleetFigures], None]:
    """A `Fleet` progress callback: overwrites the stderr line with the lines sent so far (of
    about `total`) and their rate."""
    started = time.perf_counter()

    def show(figures: FleetFigures) -> None:
        rate = figures.lines / max(time.perf_counter() - started, 1e-9)
        sys.stderr.write(f"\r{label}: {figures.lines:,}/~{total:,} lines, {rate:,.0f} lines/s  ")
        sys.stderr.flush()

    return show
