"""Consume in batches and ack a batch only after its side effect succeeded.

Faust's `stream.take` acks buffered events as the generator resumes, whatever became of them;
`acked_batches` uses `noack_take` and acks a batch when the caller asks for the next one, i.e.
after the loop body completed. A body that raises is never resumed: nothing is acked and the
records are replayed by the next consumer.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, TypeVar

import structlog

log = structlog.get_logger(__name__)

MAX_BACKOFF_SECONDS = 30.0
T = TypeVar("T")


async def acked_batches(
    stream: Any, max_records: int, within: float, on_done: Callable[[Any], None]
) -> AsyncIterator[Sequence[Any]]:
    async for faust_events in stream.noack_take(max_records, within=within):
        yield faust_events
        for faust_event in faust_events:
            await stream.ack(faust_event)
            on_done(faust_event)


async def retry_forever(operation: Callable[[], Awaitable[T]], what: str) -> T:
    """Retry with backoff until it succeeds: the records stay unacked meanwhile."""
    backoff = 0.5
    while True:
        try:
            return await operation()
        except Exception as exc:  # any failure of the side effect: keep the records, retry
            log.error(f"{what}_failed", error=str(exc), retry_in=backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
