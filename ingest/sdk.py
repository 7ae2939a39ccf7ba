"""The connector SDK: what a connector vendor embeds (or ports) to report its sync runs.

    async with ConnectorClient(url, connector_key) as ero:
        await ero.add(connector_id="shop-1", operation="order.import", message="...")
    # leaving the block flushes what is left

- Lines are buffered and posted in batches of `batch_size` (one request, one Kafka record).
- Every line gets its `event_id` when it is added, so a retried batch carries the same ids and
  the server counts each line once, whatever happened to the previous attempt's answer.
- 429, any 5xx and network errors are retried with exponential backoff (and `Retry-After` when
  the server sends one), `RetryPolicy.attempts` times. A batch still not taken then, or refused
  outright (401, 400, 413...: a retry cannot fix those, and they are not retried), is handed to
  `on_undelivered` (by default written to an NDJSON file under `undelivered_dir`, re-postable
  as it is, whose path is logged and kept in `delivered.files`) and the buffer moves on: one
  batch never blocks the next. A refusal is raised too (`Refused`), after the hand-over: it is
  a bug or a configuration error the connector must hear about.
- The buffer is bounded (`max_buffered` lines): while a batch is being retried, `add` raises
  `BufferFull` instead of letting the connector's memory grow.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import orjson
import structlog

log = structlog.get_logger(__name__)

KEPT_FILES = 100
"""How many undelivered files `Delivered.files` names (the newest)."""


def retryable(status: int) -> bool:
    """Too many requests, or the server's fault: the same batch may be taken later."""
    return status == 429 or status >= 500


class DeliveryFailed(RuntimeError):
    """Raised by an `on_undelivered` callback that would rather stop than go on (a simulated
    fleet does: a test run must not write files)."""


class BufferFull(RuntimeError):
    """`max_buffered` lines are waiting for delivery; the line was not added."""


class Refused(RuntimeError):
    """The server refused a batch for a reason a retry cannot fix (401, 400, 413...)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"POST /v1/events refused ({status}): {detail}")
        self.status = status
        self.detail = detail


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 6
    first_delay: float = 0.5
    max_delay: float = 30.0

    def delay(self, attempt: int, retry_after: str | None) -> float:
        """Seconds before attempt `attempt + 1`: the server's Retry-After if any, else exponential
        with jitter (so a fleet that failed together does not retry together)."""
        if retry_after is not None and retry_after.isdigit():
            return min(float(retry_after), self.max_delay)
        backoff: float = min(self.first_delay * 2**attempt, self.max_delay)
        return backoff * random.uniform(0.5, 1.0)


@dataclass(frozen=True, slots=True)
class Undelivered:
    """A batch the server did not take: its lines (with their event_ids: sending them again
    never duplicates) and why."""

    lines: list[dict[str, Any]]
    status: int | None
    """The last HTTP status; None when the server could not be reached."""
    reason: str


UndeliveredSink = Callable[[Undelivered], Awaitable[None]]


def file_sink(directory: Path, delivered: Delivered) -> UndeliveredSink:
    """Writes each undelivered batch to its own NDJSON file in `directory` (made if missing),
    `curl --data-binary @FILE -H 'Content-Type: application/x-ndjson'` can post again; logs its
    path and keeps it in `delivered.files`."""

    def write_file(batch: Undelivered) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        path = directory / f"undelivered-{stamp}-{batch.lines[0]['event_id']}.ndjson"
        path.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in batch.lines))
        return path

    async def write(batch: Undelivered) -> None:
        path = await asyncio.to_thread(write_file, batch)
        delivered.files.append(path)
        log.error(
            "ero_batch_undelivered",
            path=str(path),
            lines=len(batch.lines),
            status=batch.status,
            reason=batch.reason,
        )

    return write


@dataclass(slots=True)
class Delivered:
    """What the server said about the lines delivered so far."""

    accepted: int = 0
    requests: int = 0
    retries: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    duplicates: int = 0
    """Lines repeating an earlier line's event_id in their batch (the first one was taken)."""
    undelivered: int = 0
    """Lines handed to `on_undelivered`."""
    files: deque[Path] = field(default_factory=lambda: deque(maxlen=KEPT_FILES))
    """The default sink's files, newest last."""


@dataclass(frozen=True, slots=True)
class _Refusal:
    status: int | None
    reason: str
    final: bool
    """A 4xx: the server will never take this batch."""


class ConnectorClient:
    def __init__(
        self,
        base_url: str,
        connector_key: str,
        *,
        batch_size: int = 500,
        max_buffered: int = 10_000,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
        on_request: Callable[[float], None] | None = None,
        on_undelivered: UndeliveredSink | None = None,
        undelivered_dir: Path = Path("ero-undelivered"),
    ) -> None:
        """`on_request` is told the seconds each accepted request took (for latency figures).
        `on_undelivered` gets each batch the server did not take; by default it is written to a
        file under `undelivered_dir` (relative to the working directory)."""
        if not 1 <= batch_size <= max_buffered:
            raise ValueError("need 1 <= batch_size <= max_buffered")
        self._batch_size = batch_size
        self._max_buffered = max_buffered
        self._retry = retry or RetryPolicy()
        self._buffer: list[dict[str, Any]] = []
        self._sending = asyncio.Lock()
        self._on_request = on_request
        self._http = httpx.AsyncClient(
            base_url=base_url,
            headers={
                "Authorization": f"Bearer {connector_key}",
                "Content-Type": "application/json",
            },
            timeout=timeout,
            transport=transport,
        )
        self.delivered = Delivered()
        self._undelivered = on_undelivered or file_sink(undelivered_dir.resolve(), self.delivered)

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    async def add(self, line: Mapping[str, Any] | None = None, **fields: Any) -> str:
        """Buffer one line (a SyncEvent mapping, or its fields as keywords); return its
        event_id. A full batch is sent at once (delivered, or handed to `on_undelivered`).
        Raises BufferFull while a batch is being retried and the buffer is full, Refused when
        the server refused a batch outright."""
        if len(self._buffer) >= self._max_buffered:
            raise BufferFull(f"{len(self._buffer)} lines await delivery; the server is unreachable")
        event = {**(line or {}), **fields}
        event.setdefault("event_id", str(uuid.uuid4()))
        event.setdefault("occurred_at", datetime.now(UTC).isoformat())
        self._buffer.append(event)
        if len(self._buffer) >= self._batch_size:
            await self._send(whole_batches_only=True)
        return str(event["event_id"])

    async def flush(self) -> None:
        """Send every buffered line: each batch is delivered or handed to `on_undelivered`.
        Raises Refused when the server refused one outright (the others are sent first)."""
        await self._send(whole_batches_only=False)

    async def aclose(self) -> None:
        """Flush, then release the connection, even when the flush failed."""
        try:
            await self.flush()
        finally:
            await self._http.aclose()

    async def __aenter__(self) -> ConnectorClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _send(self, *, whole_batches_only: bool) -> None:
        refused: Refused | None = None
        async with self._sending:  # one batch in flight: lines reach the log in order
            while self._buffer and (
                len(self._buffer) >= self._batch_size or not whole_batches_only
            ):
                batch = self._buffer[: self._batch_size]
                refusal = await self._post(orjson.dumps(batch))
                if refusal is not None:
                    await self._undelivered(Undelivered(batch, refusal.status, refusal.reason))
                    self.delivered.undelivered += len(batch)
                    if refusal.final and refused is None:
                        refused = Refused(refusal.status or 0, refusal.reason)
                del self._buffer[: len(batch)]
        if refused is not None:
            raise refused

    async def _post(self, body: bytes) -> _Refusal | None:
        """Post one batch, retrying what may pass later; None once it is taken."""
        problem = _Refusal(None, "not sent", final=False)
        for attempt in range(self._retry.attempts):
            if attempt:
                self.delivered.retries += 1
            retry_after = None
            started = time.perf_counter()
            try:
                response = await self._http.post("/v1/events", content=body)
            except httpx.TransportError as exc:
                problem = _Refusal(None, f"{type(exc).__name__}: {exc}", final=False)
            else:
                if response.status_code == 202:
                    if self._on_request is not None:
                        self._on_request(time.perf_counter() - started)
                    answer = response.json()
                    self.delivered.accepted += answer["accepted"]
                    self.delivered.rejected += answer["rejected"]
                    self.delivered.duplicates += len(answer.get("duplicates", []))
                    self.delivered.requests += 1
                    return None
                status = response.status_code
                if not retryable(status):
                    return _Refusal(status, response.text, final=True)
                problem = _Refusal(status, f"HTTP {status}: {response.text[:200]}", final=False)
                retry_after = response.headers.get("retry-after")
            if attempt + 1 < self._retry.attempts:
                await asyncio.sleep(self._retry.delay(attempt, retry_after))
        return _Refusal(
            problem.status, f"{self._retry.attempts} attempts failed, last: {problem.reason}", False
        )
