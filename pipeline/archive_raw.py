"""Archives the raw topic into ClickHouse where classification is scaled out: consume ->
insert -> commit, in a group of its own, in the process with the `project` role.

Classify-only workers have no ClickHouse, so the records they classify are archived here, from
every raw partition whatever the roles of the other workers (`ERO_WORKER_ROLES`). In the
default one-hop deployment the hot stage archives what it classifies instead, from the same
fetch (pipeline/classify_and_store.py), and this consumer does not run.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import mode
import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRecord
from aiokafka.errors import KafkaError

from infra.consumer_group import GroupTiming
from projections.archive import ArchivedRow, ArchiveWriter
from schemas.records import RecordSeal

log = structlog.get_logger(__name__)


class ArchiveService(mode.Service):
    """`drain_timeout` set (embedded, memory-only broker): on stop, archive up to the end of the
    log first, as the agents do (streaming/drain.py); unset (a durable broker): just stop."""

    def __init__(
        self,
        consumer: Callable[[], AIOKafkaConsumer],
        writer: ArchiveWriter,
        seal: RecordSeal,
        drain_timeout: float | None,
        max_records: int = 2_000,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._new_consumer = consumer  # made in on_start: aiokafka binds to the running loop
        self._consumer: AIOKafkaConsumer | None = None
        self._writer = writer
        self._seal = seal
        self._drain_timeout = drain_timeout
        self._max_records = max_records
        self._running: asyncio.Task[None] | None = None
        self._closing = False

    @property
    def consumer(self) -> AIOKafkaConsumer:
        assert self._consumer is not None, "made in on_start"
        return self._consumer

    async def on_start(self) -> None:
        self._consumer = self._new_consumer()
        await self.consumer.start()
        self._running = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        try:
            while not self._closing:
                await self._archive_once()
        except Exception as exc:  # a bug, not an outage (inserts retry forever): stop loudly
            log.exception("archive_stopped")
            await self.crash(exc)

    async def _archive_once(self) -> int:
        fetched = await self.consumer.getmany(timeout_ms=200, max_records=self._max_records)
        records = [record for batch in fetched.values() for record in batch]
        if not records:
            return 0
        rows = await asyncio.to_thread(self._rows, records)
        await self._writer.store_until_done(rows)
        try:
            await self.consumer.commit()
        except KafkaError as exc:
            # A rebalance moved partitions: their records come again; the table folds them.
            log.warning("archive_commit_failed", error=str(exc))
        log.debug("archived", records=len(records))
        return len(records)

    def _rows(self, records: list[ConsumerRecord]) -> list[ArchivedRow]:
        return [ArchivedRow.of(record, self._seal) for record in records]

    async def _caught_up(self) -> bool:
        assigned = self.consumer.assignment()
        ends = await self.consumer.end_offsets(list(assigned)) if assigned else {}
        for tp, end in ends.items():
            if await self.consumer.position(tp) < end:
                return False
        return True

    async def on_stop(self) -> None:
        self._closing = True
        if self._running is not None:
            await self._running
        if self._drain_timeout is not None:
            deadline = time.monotonic() + self._drain_timeout
            while not await self._caught_up():
                if time.monotonic() > deadline:
                    log.error("archive_drain_timed_out")
                    break
                await self._archive_once()
        await self.consumer.stop()


def archive_consumer(
    bootstrap: str, topic: str, group: str, timing: GroupTiming
) -> Callable[[], AIOKafkaConsumer]:
    return partial(
        AIOKafkaConsumer,
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **timing.aiokafka_options(),
    )
