"""Consume a topic in batches, hand each batch to a step, commit only once the step returned.

Why not a Faust agent for the hot path: Faust's Stream costs ~80-100 us per record (NOTES.md),
more than all our per-event work; one `getmany` here hands over a whole fetch for a few us per
record. The Faust app still hosts this consumer (as one of its services), the rules table and
the low-volume agents.

Guarantees, in arroyo's order (consume -> batch -> step -> commit):
- a batch's offsets are committed only after `step` returned, so a crash replays it;
- batches run one after the other, and before partitions move to another consumer the batch in
  hand is finished and committed (the rebalance listener waits for it), so each partition has
  one writer at a time: what the first-insert-wins writer of sync_events relies on.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import mode
import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError

log = structlog.get_logger(__name__)


class Step(Protocol):
    async def __call__(self, records: Sequence[ConsumerRecord]) -> None:
        """Do the stage's work on a batch; return only once its results are safely stored.
        Raising stops the consumer with nothing committed: the records are replayed."""

    async def close(self) -> None:
        """Called once, after the consumer stopped: release what the step holds."""


OnDone = Callable[[str, int, int], None]
"""Told (topic, partition, next offset) once records are worked on and committed."""


@dataclass(frozen=True)
class BatchLimits:
    max_records: int
    """Records per batch, at most (a fetch may hand over fewer)."""
    max_bytes: int
    """Bytes of record values per batch, at most (roughly: a fetch is not split)."""
    flush_seconds: float
    """How long the first record of a batch may wait for more."""


class BatchConsumer(mode.Service):
    def __init__(
        self,
        *,
        name: str,
        bootstrap: str,
        group_id: str,
        topic: str,
        step: Step,
        limits: BatchLimits,
        session_timeout_seconds: float,
        on_done: OnDone = lambda *_: None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.name = name
        self._topic = topic
        self._step = step
        self._limits = limits
        self._on_done = on_done
        self._config: dict[str, Any] = {
            "bootstrap_servers": bootstrap,
            "group_id": group_id,
            "enable_auto_commit": False,
            "auto_offset_reset": "earliest",
            "max_partition_fetch_bytes": 8 << 20,
            "fetch_max_bytes": 64 << 20,
            "session_timeout_ms": int(session_timeout_seconds * 1000),
            "heartbeat_interval_ms": int(min(3.0, session_timeout_seconds / 4) * 1000),
        }
        self._consumer: AIOKafkaConsumer | None = None
        self._pending: list[ConsumerRecord] = []
        self._pending_bytes = 0
        self._in_hand = asyncio.Lock()

    async def on_start(self) -> None:
        # aiokafka clients bind to the running loop: built here, not in __init__.
        self._consumer = AIOKafkaConsumer(**self._config)
        self._consumer.subscribe([self._topic], listener=_FinishBeforeRevoke(self))
        await self._consumer.start()

    async def on_stop(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()
        await self._step.close()

    @mode.Service.task
    async def _consume(self) -> None:
        consumer = self._consumer
        assert consumer is not None
        limits = self._limits
        deadline = 0.0
        while not self.should_stop:
            fetched = await consumer.getmany(timeout_ms=50, max_records=limits.max_records)
            for records in fetched.values():
                if records and not self._pending:
                    deadline = time.monotonic() + limits.flush_seconds
                self._pending += records
                self._pending_bytes += sum(len(record.value or b"") for record in records)
            full = (
                len(self._pending) >= limits.max_records or self._pending_bytes >= limits.max_bytes
            )
            if self._pending and (full or time.monotonic() >= deadline):
                await self.finish_batch()

    async def finish_batch(self) -> None:
        """Run the step on the records in hand, then commit them."""
        async with self._in_hand:
            batch, self._pending, self._pending_bytes = self._pending, [], 0
            if not batch:
                return
            await self._step(batch)
            assert self._consumer is not None
            offsets = _next_offsets(batch)
            try:
                await self._consumer.commit(offsets)
            except CommitFailedError as exc:
                # The group moved on without us (e.g. we were too slow): the new owner replays
                # these records, and the sink's idempotence absorbs the repeat.
                log.warning("batch_commit_failed", stage=self.name, error=str(exc))
                return
            for tp, offset in offsets.items():
                self._on_done(tp.topic, tp.partition, offset)


def _next_offsets(batch: Sequence[ConsumerRecord]) -> dict[TopicPartition, int]:
    ends: dict[TopicPartition, int] = {}
    for record in batch:
        tp = TopicPartition(record.topic, record.partition)
        ends[tp] = max(ends.get(tp, 0), record.offset + 1)
    return ends


class _FinishBeforeRevoke(ConsumerRebalanceListener):  # type: ignore[misc]
    """Partitions leave only once the batch in hand is stored and committed."""

    def __init__(self, consumer: BatchConsumer) -> None:
        self._consumer = consumer

    async def on_partitions_revoked(self, revoked: Any) -> None:
        await self._consumer.finish_batch()

    async def on_partitions_assigned(self, assigned: Any) -> None:
        log.info("partitions_assigned", stage=self._consumer.name, partitions=len(assigned))
