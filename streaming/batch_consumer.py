"""Consume a topic in batches; prepare each batch, store it, commit it only once it is stored.

Why not a Faust agent for the hot path: Faust's Stream costs ~80-100 us per record (NOTES.md),
more than all our per-event work; one `getmany` here hands over a whole fetch for a few us per
record. The Faust app still hosts this consumer (as one of its services), the rules table and
the low-volume agents.

Two phases per batch, overlapped: while batch N is being stored (ClickHouse works in C++ and
releases the GIL), batch N+1 is prepared (Python) in a thread of its own, so the event loop
stays free for the API and heartbeats. Guarantees, in arroyo's order (consume -> batch -> store
-> commit):
- a batch's offsets are committed only after its `store` returned, so a crash replays it;
- batches are stored one at a time, in order, and before partitions move to another consumer
  every batch in hand is stored and committed (the rebalance listener waits for it): each
  partition has one writer at a time, what the first-insert-wins writer of sync_events needs.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import mode
import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError

from infra.consumer_group import GroupTiming

log = structlog.get_logger(__name__)

Prepared = TypeVar("Prepared")


class Step(Protocol[Prepared]):
    def prepare(self, records: Sequence[ConsumerRecord]) -> Prepared:
        """CPU work on a batch (runs in a worker thread, one batch at a time, in order)."""

    async def store(self, prepared: Prepared) -> None:
        """Make a prepared batch durable; return only once it is. One at a time, in order.
        Raising stops the consumer with nothing of the batch committed: it is replayed."""

    async def close(self) -> None:
        """Called once, after the consumer stopped: release what the step holds."""


OnDone = Callable[[str, int, int], None]
"""Told (topic, partition, next offset) once records are stored and committed."""


@dataclass(frozen=True)
class BatchLimits:
    max_records: int
    """Records per batch, at most (a fetch may hand over fewer)."""
    max_bytes: int
    """Bytes of record values per batch, at most (roughly: a fetch is not split)."""
    flush_seconds: float
    """How long the first record of a batch may wait for more."""
    linger_seconds: float
    """How long it waits at least: once the previous batch is stored, a batch this old is handed
    over (a quiet stage stores soon; a busy one gathers up to `flush_seconds`, in fewer, larger
    inserts)."""


@dataclass
class _Storing:
    task: asyncio.Task[None]
    offsets: dict[TopicPartition, int]


class BatchConsumer(mode.Service, Generic[Prepared]):
    def __init__(
        self,
        *,
        name: str,
        bootstrap: str,
        group_id: str,
        topic: str,
        step: Step[Prepared],
        limits: BatchLimits,
        timing: GroupTiming,
        on_done: OnDone = lambda *_: None,
        on_batch: Callable[[int], None] = lambda _: None,
        **kwargs: Any,
    ) -> None:
        """`on_batch` is told the number of records of each batch as it is handed over."""
        super().__init__(**kwargs)
        self.name = name
        self._topic = topic
        self._step = step
        self._limits = limits
        self._on_done = on_done
        self._on_batch = on_batch
        self._config: dict[str, Any] = {
            "bootstrap_servers": bootstrap,
            "group_id": group_id,
            "enable_auto_commit": False,
            "auto_offset_reset": "earliest",
            "max_partition_fetch_bytes": 8 << 20,
            "fetch_max_bytes": 64 << 20,
            **timing.aiokafka_options(),
        }
        self._consumer: AIOKafkaConsumer | None = None
        self._pending: list[ConsumerRecord] = []
        self._pending_bytes = 0
        # Per partition: the offset after the last record in hand (a fetch hands over each
        # partition's records in order).
        self._pending_ends: dict[TopicPartition, int] = {}
        self._storing: _Storing | None = None
        self._handing_over = asyncio.Lock()
        # Per partition: the group's committed offset as far as we know it (where our first
        # fetch started, then what we committed).
        self._committed: dict[TopicPartition, int] = {}

    async def on_start(self) -> None:
        # aiokafka clients bind to the running loop: built here, not in __init__.
        self._consumer = AIOKafkaConsumer(**self._config)
        self._consumer.subscribe([self._topic], listener=_StoreBeforeRevoke(self))
        await self._consumer.start()

    async def on_stop(self) -> None:
        try:
            async with self._handing_over:
                await self._settle()  # the batch being stored: committed now, not replayed
        except Exception as exc:  # its store failed: nothing committed, it is replayed next start
            log.error("batch_not_stored_at_stop", stage=self.name, error=str(exc))
        if self._consumer is not None:
            await self._consumer.stop()
        await self._step.close()

    @mode.Service.task
    async def _consume(self) -> None:
        consumer = self._consumer
        assert consumer is not None
        limits = self._limits
        first_at = 0.0
        while not self.should_stop:
            fetched = await consumer.getmany(timeout_ms=50, max_records=limits.max_records)
            for tp, records in fetched.items():
                if not records:
                    continue
                self._committed.setdefault(tp, records[0].offset)
                self._pending_ends[tp] = records[-1].offset + 1
                if not self._pending:
                    first_at = time.monotonic()
                self._pending += records
                self._pending_bytes += sum(len(record.value or b"") for record in records)
            full = (
                len(self._pending) >= limits.max_records or self._pending_bytes >= limits.max_bytes
            )
            storing = self._storing is not None and not self._storing.task.done()
            waited = time.monotonic() - first_at
            due = waited >= (limits.flush_seconds if storing else limits.linger_seconds)
            if self._pending and (full or due):
                await self.hand_over(settle=False)
            elif self._storing is not None and not storing:  # stored, not committed yet
                async with self._handing_over:
                    await self._settle()

    async def hand_over(self, *, settle: bool) -> None:
        """Prepare the records in hand and start storing them once the previous batch is
        stored and committed; with `settle`, also wait until this batch is."""
        async with self._handing_over:
            batch, self._pending, self._pending_bytes = self._pending, [], 0
            ends, self._pending_ends = self._pending_ends, {}
            if batch:
                self._on_batch(len(batch))
                prepared = await asyncio.to_thread(self._step.prepare, batch)
                await self._settle()
                self._storing = _Storing(asyncio.create_task(self._step.store(prepared)), ends)
            if settle:
                await self._settle()

    async def _settle(self) -> None:
        """Wait for the batch being stored, then commit it."""
        storing, self._storing = self._storing, None
        if storing is None:
            return
        await storing.task  # raises what the store raised: nothing of the batch is committed
        assert self._consumer is not None
        try:
            await self._consumer.commit(storing.offsets)
        except CommitFailedError as exc:
            # The group moved on without us (e.g. we were too slow): the new owner replays
            # these records, and the sink's idempotence absorbs the repeat.
            log.warning("batch_commit_failed", stage=self.name, error=str(exc))
            return
        self._committed.update(storing.offsets)
        for tp, offset in storing.offsets.items():
            self._on_done(tp.topic, tp.partition, offset)

    @property
    def topic(self) -> str:
        return self._topic

    @property
    def group_id(self) -> str:
        group: str = self._config["group_id"]
        return group

    def member_id(self) -> str | None:
        """Our id in the group, once joined (streaming/recycle.py tells ours from others)."""
        coordinator = getattr(self._consumer, "_coordinator", None)
        member: str | None = getattr(coordinator, "member_id", None)
        return member

    def committed(self) -> dict[int, int]:
        """partition -> what we committed, for the partitions we own and have read."""
        return {tp.partition: offset for tp, offset in self._committed.items()}

    async def pause(self) -> None:
        """Stop fetching (the topic is about to be recycled); returns once every batch in
        hand is stored and committed."""
        assert self._consumer is not None
        self._consumer.pause(*self._consumer.assignment())
        await self.hand_over(settle=True)

    async def resume(self, from_beginning: bool) -> None:
        """Fetch again; `from_beginning`: the topic was deleted and created again, so each
        partition starts over at 0, committed there (a position kept from the old topic would
        skip the new records below it)."""
        assert self._consumer is not None
        assigned = self._consumer.assignment()
        if from_beginning and assigned:
            for tp in assigned:
                self._consumer.seek(tp, 0)
            restart = {tp: 0 for tp in assigned}
            try:
                await self._consumer.commit(restart)
            except CommitFailedError as exc:  # a rebalance: the new owner finds no offset: 0
                log.warning("restart_commit_failed", stage=self.name, error=str(exc))
            self._committed.update(restart)
        self._consumer.resume(*assigned)

    def lags(self) -> Iterator[tuple[str, int, int]]:
        """(topic, partition, records not committed yet) of each partition owned and fetched
        from (infra.metrics' ConsumerOffsets)."""
        if self._consumer is None:
            return
        for tp in self._consumer.assignment():
            highwater = self._consumer.highwater(tp)
            if highwater is not None:
                yield tp.topic, tp.partition, max(0, highwater - self._committed.get(tp, highwater))

    def forget(self, partitions: Iterable[TopicPartition]) -> None:
        """Partitions that left: what we knew of their commits is stale from now on."""
        for tp in partitions:
            self._committed.pop(tp, None)


class _StoreBeforeRevoke(ConsumerRebalanceListener):  # type: ignore[misc]
    """Partitions leave only once every batch in hand is stored and committed."""

    def __init__(self, consumer: BatchConsumer[Any]) -> None:
        self._consumer = consumer

    async def on_partitions_revoked(self, revoked: Any) -> None:
        await self._consumer.hand_over(settle=True)
        self._consumer.forget(revoked)

    async def on_partitions_assigned(self, assigned: Any) -> None:
        partitions = sorted(f"{tp.topic}/{tp.partition}" for tp in assigned)
        log.info("partitions_assigned", stage=self._consumer.name, partitions=partitions)
