"""Consume a Faust stream in batches and ack a batch only after its side effect succeeded.

Faust's `stream.take` acks buffered events as the generator resumes, whatever became of them;
`acked_batches` uses `noack_take` and acks a batch when the caller asks for the next one, i.e.
after the loop body completed. A body that raises is never resumed: nothing is acked and the
records are replayed by the next consumer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from infra.metrics import metrics


async def acked_batches(
    stream: Any, max_records: int, within: float, on_done: Callable[[Any], None]
) -> AsyncIterator[Sequence[Any]]:
    """Called by a Faust agent's loop; blocks while the stream is quiet; raises nothing of its
    own (what the loop body raises ends the agent with the batch unacked)."""
    async for faust_events in stream.noack_take(max_records, within=within):
        topic = faust_events[0].message.topic
        metrics().distribution("batch_records", len(faust_events), {"topic": topic})
        yield faust_events
        for faust_event in faust_events:
            await stream.ack(faust_event)
            on_done(faust_event)
