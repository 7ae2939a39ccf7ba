"""How a stage cuts its batches, on the real broker: a quiet stage hands a batch over once it
has lingered, long before the flush time; a stage still storing its previous batch gathers what
comes meanwhile into one batch."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer, ConsumerRecord

from infra.broker import EmbeddedBroker
from infra.consumer_group import GroupTiming
from streaming.batch_consumer import BatchConsumer, BatchLimits
from tests.support.pipeline import wait_until

FLUSH_SECONDS = 120.0  # far beyond any wait below: a batch cut by time would fail the test


class Recorder:
    """A step that stores by remembering each batch's values; the first store waits for
    `release` (a slow insert)."""

    def __init__(self) -> None:
        self.batches: list[list[bytes]] = []
        self.release = asyncio.Event()

    def prepare(self, records: Sequence[ConsumerRecord]) -> list[bytes]:
        return [record.value for record in records]

    async def store(self, prepared: list[bytes]) -> None:
        self.batches.append(prepared)
        if len(self.batches) == 1:
            await self.release.wait()

    async def close(self) -> None:
        pass


async def _until(check: object) -> None:
    """wait_until, in a thread: the stage runs on this loop meanwhile."""
    await asyncio.to_thread(wait_until, check, 30.0)  # type: ignore[arg-type]


async def test_a_quiet_stage_stores_soon_and_a_busy_one_gathers_into_one_batch() -> None:
    recorder = Recorder()
    with EmbeddedBroker() as broker:
        producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, acks="all")
        await producer.start()
        stage: BatchConsumer[list[bytes]] = BatchConsumer(
            name="batching",
            bootstrap=broker.bootstrap,
            group_id="batching",
            topic="batching",
            step=recorder,
            limits=BatchLimits(
                max_records=1_000,
                max_bytes=1 << 20,
                flush_seconds=FLUSH_SECONDS,
                linger_seconds=0.05,
            ),
            timing=GroupTiming(6.0),
        )
        await producer.send_and_wait("batching", b"first", partition=0)
        await stage.start()
        try:
            await _until(lambda: recorder.batches)
            assert recorder.batches == [[b"first"]]

            # Two waves arrive while the first batch is being stored, each waiting well over a
            # linger: a stage cutting batches by their age alone would store them apart.
            for n in range(4):
                await producer.send_and_wait("batching", f"then {n}".encode(), partition=0)
                if n == 1:
                    await asyncio.sleep(1.0)
            await asyncio.sleep(1.0)
            assert len(recorder.batches) == 1
            recorder.release.set()
            await _until(lambda: len(recorder.batches) >= 2)
            await asyncio.sleep(0.5)  # a third batch, if any, is stored by now
            assert recorder.batches[1:] == [[f"then {n}".encode() for n in range(4)]]
        finally:
            await stage.stop()
            await producer.stop()
