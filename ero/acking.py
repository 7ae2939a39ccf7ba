"""Consume in batches and ack a batch only after its side effect succeeded.

Faust's `stream.take` acks buffered events as the generator resumes, whatever became of them;
`acked_batches` uses `noack_take` and acks a batch when the caller asks for the next one, i.e.
after the loop body completed. A body that raises is never resumed: nothing is acked and the
records are replayed by the next consumer.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

import structlog

from ero.metrics import BATCH_RECORDS

log = structlog.get_logger(__name__)

MAX_BACKOFF_SECONDS = 30.0
T = TypeVar("T")


async def acked_batches(
    stream: Any, max_records: int, within: float, on_done: Callable[[Any], None]
) -> AsyncIterator[Sequence[Any]]:
    async for faust_events in stream.noack_take(max_records, within=within):
        BATCH_RECORDS.labels(faust_events[0].message.topic).observe(len(faust_events))
        yield faust_events
        for faust_event in faust_events:
            await stream.ack(faust_event)
            on_done(faust_event)


async def retry_forever(
    operation: Callable[[], Awaitable[T]],
    what: str,
    context: Callable[[], Mapping[str, Any]] = dict,
) -> T:
    """Retry with backoff until it succeeds: the records stay unacked meanwhile. `context`
    names what is stuck (licences, connectors, event ids) in the failure's log line."""
    backoff = 0.5
    while True:
        try:
            return await operation()
        except Exception as exc:  # any failure of the side effect: keep the records, retry
            log.error(f"{what}_failed", error=str(exc), retry_in=backoff, **context())
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
