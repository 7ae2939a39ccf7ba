"""The raw topic's own archive consumer (the `project` process of a scaled-out deployment), on
the real broker and chdb: it archives every record, commits after the insert, drains the log
on stop when asked, and a record delivered twice is still one row."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from infra.broker import EmbeddedBroker
from infra.clickhouse import ClickHouse
from infra.consumer_group import GroupTiming
from pipeline.archive_raw import ArchiveService, archive_consumer
from projections.archive import ArchiveWriter
from schemas.records import RecordSeal, encode_batches
from tests.support.factories import order_events

SEAL = RecordSeal(b"a key of the test suite, shared")
TOPIC = "archive-raw"
GROUP = "archive-test"


def _service(bootstrap: str, clickhouse: ClickHouse) -> ArchiveService:
    consumer = archive_consumer(bootstrap, TOPIC, GROUP, GroupTiming(6.0))
    return ArchiveService(consumer, ArchiveWriter(clickhouse), SEAL, drain_timeout=30.0)


async def _committed(bootstrap: str) -> int:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=GROUP)
    await consumer.start()
    try:
        return (await consumer.committed(TopicPartition(TOPIC, 0))) or 0
    finally:
        await consumer.stop()


async def test_every_record_is_archived_once_and_committed(clickhouse: ClickHouse) -> None:
    licence = f"archive-{uuid.uuid4()}"
    now = datetime.now(UTC)
    records = [
        record
        for n in range(5)
        for record in encode_batches(licence, now, order_events(3, str(n), now), 1 << 20)
    ]
    with EmbeddedBroker() as broker:
        producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, acks="all")
        await producer.start()
        try:
            for record in [*records, records[0]]:  # the first one delivered twice
                await producer.send_and_wait(TOPIC, record, key=licence.encode(), partition=0)
        finally:
            await producer.stop()
        service = _service(broker.bootstrap, clickhouse)
        await service.start()
        await service.stop()  # drains: everything the log holds is archived first
        committed = await _committed(broker.bootstrap)
    rows = clickhouse.rows(
        "SELECT count(), sum(events) FROM event_archive FINAL WHERE licence_id = {l:String}",
        {"l": licence},
    )
    assert rows == [(5, 15)], "six deliveries, five records, fifteen events"
    assert committed == 6, "the offsets are committed once the rows are in"
