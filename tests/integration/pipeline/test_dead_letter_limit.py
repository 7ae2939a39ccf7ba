"""A hot stage fed nothing but unreadable records (a bad deploy, a wrong producer) stops on the
real broker instead of dead-lettering the stream, and commits nothing: the records wait."""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import AIOKafkaProducer
from structlog.testing import capture_logs

from infra.broker import EmbeddedBroker
from infra.consumer_group import GroupTiming
from infra.log_producer import LogProducer, ProducerConfig
from pipeline.classify_and_store import ClassifyAndStore
from processors.catalog import load_catalog
from processors.classifier import Classifier
from schemas.records import RecordSeal
from streaming.batch_consumer import BatchConsumer, BatchLimits
from streaming.dead_letter_limit import DeadLetterGuard, DeadLetterLimit, DeadLetterLimitExceeded
from tests.support.pipeline import wait_until

CLASSIFIER = Classifier(load_catalog())


async def test_a_stage_that_would_dead_letter_everything_stops_and_commits_nothing() -> None:
    committed: list[tuple[str, int, int]] = []
    with EmbeddedBroker() as broker:
        producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, acks="all")
        await producer.start()
        hot = ClassifyAndStore(
            classifier=lambda: CLASSIFIER,
            writer=None,
            archive=None,
            producer=LogProducer(ProducerConfig(broker.bootstrap, 1 << 20, 5.0)),
            seal=RecordSeal(b"a key of the test suite, shared"),
            classified_topic="classified",
            dead_letter_topic="dead-letter",
            max_record_bytes=1 << 20,
            guard=DeadLetterGuard("classify", DeadLetterLimit(20, 0, 10_000)),
        )
        stage: BatchConsumer[Any] = BatchConsumer(
            name="classify",
            bootstrap=broker.bootstrap,
            group_id="limit",
            topic="raw",
            step=hot,
            limits=BatchLimits(
                max_records=1000, max_bytes=1 << 20, flush_seconds=0.2, linger_seconds=0.2
            ),
            timing=GroupTiming(6.0),
            on_done=lambda *done: committed.append(done),
        )
        for n in range(30):
            await producer.send_and_wait("raw", b'{"not": "a batch %d"}' % n, key=b"L1")
        with capture_logs() as logs:
            await stage.start()
            try:
                await asyncio.to_thread(wait_until, lambda: stage.crashed, 60.0)
            finally:
                await stage.stop()
                await producer.stop()
    assert isinstance(stage.crash_reason, DeadLetterLimitExceeded)
    assert committed == [], "nothing of the refused batch is committed"
    stops = [e for e in logs if e["event"] == "dead_letter_limit_exceeded"]
    assert stops
    assert "20 records in a row" in stops[0]["why"]
