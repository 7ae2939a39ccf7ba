"""The connector SDK: what a connector vendor embeds (or ports) to report its sync runs.

    async with ConnectorClient(url, connector_key) as ero:
        await ero.add(connector_id="shop-1", operation="order.import", message="...")
    # leaving the block flushes what is left

- Lines are buffered and posted in batches of `batch_size` (one request, one Kafka record).
- Every line gets its `event_id` when it is added, so a retried batch carries the same ids and
  the server counts each line once, whatever happened to the previous attempt's answer.
- 429, 503 and network errors are retried with exponential backoff (and `Retry-After` when the
  server sends one); any other refusal (401, 413...) is a bug or a configuration error: raised.
- The buffer is bounded (`max_buffered` lines): while the server cannot be reached, `add` raises
  `BufferFull` instead of letting the connector's memory grow.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

import httpx
import orjson
import structlog

log = structlog.get_logger(__name__)

RETRYABLE_STATUSES = frozenset({429, 503})


class DeliveryFailed(RuntimeError):
    """The server could not be reached (or kept refusing) after every retry; lines are kept."""


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


@dataclass(slots=True)
class Delivered:
    """What the server said about the lines delivered so far."""

    accepted: int = 0
    requests: int = 0
    retries: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)


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
    ) -> None:
        """`on_request` is told the seconds each accepted request took (for latency figures)."""
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

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    async def add(self, line: Mapping[str, Any] | None = None, **fields: Any) -> str:
        """Buffer one line (a SyncEvent v1 mapping, or its fields as keywords); return its
        event_id. A full batch is sent at once; if that fails, the lines stay buffered."""
        if len(self._buffer) >= self._max_buffered:
            raise BufferFull(f"{len(self._buffer)} lines await delivery; the server is unreachable")
        event = {**(line or {}), **fields}
        event.setdefault("event_id", str(uuid.uuid4()))
        event.setdefault("occurred_at", datetime.now(UTC).isoformat())
        self._buffer.append(event)
        if len(self._buffer) % self._batch_size == 0:
            try:
                await self._send(whole_batches_only=True)
            except DeliveryFailed as exc:
                log.warning("ero_delivery_deferred", buffered=len(self._buffer), error=str(exc))
        return str(event["event_id"])

    async def flush(self) -> None:
        """Send every buffered line; raise DeliveryFailed if some could not be (they are kept)."""
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
        async with self._sending:  # one batch in flight: lines reach the log in order
            while self._buffer and (
                len(self._buffer) >= self._batch_size or not whole_batches_only
            ):
                batch = self._buffer[: self._batch_size]
                await self._post(orjson.dumps(batch))
                del self._buffer[: len(batch)]

    async def _post(self, body: bytes) -> None:
        problem = ""
        for attempt in range(self._retry.attempts):
            if attempt:
                self.delivered.retries += 1
            retry_after = None
            started = time.perf_counter()
            try:
                response = await self._http.post("/v1/events", content=body)
            except httpx.TransportError as exc:
                problem = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code == 202:
                    if self._on_request is not None:
                        self._on_request(time.perf_counter() - started)
                    answer = response.json()
                    self.delivered.accepted += answer["accepted"]
                    self.delivered.rejected += answer["rejected"]
                    self.delivered.requests += 1
                    return
                if response.status_code not in RETRYABLE_STATUSES:
                    raise Refused(response.status_code, response.text)
                problem = f"HTTP {response.status_code}"
                retry_after = response.headers.get("retry-after")
            if attempt + 1 < self._retry.attempts:
                await asyncio.sleep(self._retry.delay(attempt, retry_after))
        raise DeliveryFailed(f"{self._retry.attempts} attempts failed, last: {problem}")
