"""ClickHouse unavailable: a stage (a real batch consumer on the real broker, the real chdb
engine behind it) commits nothing, backs off with the reason logged, and catches up once
ClickHouse is back.

The outage is the stage's table missing (as when a server drops it or refuses the insert):
every insert fails until it is created again, with no mock between the stage and ClickHouse.
"""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaProducer
from structlog.testing import capture_logs

from infra.broker import EmbeddedBroker
from infra.clickhouse import ClickHouse
from infra.consumer_group import GroupTiming
from pipeline.project_feed import ProjectFeed
from processors.catalog import load_catalog
from processors.classifier import Classifier
from projections.sync_events import SyncEventsWriter
from schemas import ClassifiedBatch
from streaming.batch_consumer import BatchConsumer, BatchLimits
from tests.support.factories import order_events
from tests.support.pipeline import wait_until

TABLE = "outage_sync_events"


def _record(n: int) -> bytes:
    classify = Classifier(load_catalog()).classify
    now = datetime.now(UTC)
    events = [classify(event) for event in order_events(10, str(n), now)]
    batch = ClassifiedBatch(licence_id="outage", received_at=now, events=events)
    return batch.model_dump_json().encode()


async def _until(check: Any) -> None:
    """wait_until, in a thread: the stage runs on this loop meanwhile."""
    await asyncio.to_thread(wait_until, check, 60.0)


async def test_a_stage_commits_nothing_backs_off_and_catches_up(clickhouse: ClickHouse) -> None:
    clickhouse.command(f"DROP TABLE IF EXISTS {TABLE}")
    committed: list[tuple[str, int, int]] = []
    records = [_record(n) for n in range(3)]
    with EmbeddedBroker() as broker:
        producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, acks="all")
        await producer.start()
        stage: BatchConsumer[Any] = BatchConsumer(
            name="outage",
            bootstrap=broker.bootstrap,
            group_id="outage",
            topic="classified",
            step=ProjectFeed(SyncEventsWriter(clickhouse, table=TABLE)),
            limits=BatchLimits(
                max_records=10, max_bytes=1 << 20, flush_seconds=0.05, linger_seconds=0.05
            ),
            timing=GroupTiming(6.0),
            on_done=lambda *done: committed.append(done),
        )
        with capture_logs() as logs:
            for record in records:
                await producer.send_and_wait("classified", record, key=b"outage")
            await stage.start()
            try:

                def failures() -> list[MutableMapping[str, Any]]:
                    return [e for e in logs if e["event"] == "sync_events_insert_failed"]

                await _until(lambda: len(failures()) >= 2)
                assert committed == [], "nothing is committed while ClickHouse refuses"
                assert TABLE in failures()[0]["error"], "the reason is logged"
                assert failures()[0]["licence_ids"] == ["outage"], "what is stuck is named"
                assert failures()[1]["retry_in"] > failures()[0]["retry_in"], "backs off"

                clickhouse.command(f"CREATE TABLE {TABLE} AS sync_events")
                await _until(lambda: sum(offset for *_, offset in committed) >= 3)
                # A redelivery after the outage (at-least-once) changes nothing.
                await producer.send_and_wait("classified", records[0], key=b"outage")
                await _until(lambda: sum(offset for *_, offset in committed) >= 4)
            finally:
                await stage.stop()
                await producer.stop()
    assert int(clickhouse.rows(f"SELECT count() FROM {TABLE}")[0][0]) == 30
    assert int(clickhouse.rows(f"SELECT uniqExact(event_id) FROM {TABLE}")[0][0]) == 30
    clickhouse.command(f"DROP TABLE {TABLE}")
