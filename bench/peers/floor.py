"""The floor: raw aiokafka consume + chdb insert, no validation and no classification.

What any implementation pays for Kafka and ClickHouse alone; blocks as large as the others'.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer

from bench.job_spec import JobSpec, Stopwatch, finish
from ero.settings import Settings
from ero.storage import open_clickhouse
from infra.clickhouse import ClickHouse

COLUMNS = ("licence_id", "event_id", "connector_id", "occurred_at", "operation", "message")


def _columns(values: list[bytes]) -> list[list[Any]]:
    columns: list[list[Any]] = [[] for _ in COLUMNS]
    for value in values:
        record = orjson.loads(value)
        for event in record["events"]:
            columns[0].append(record["licence_id"])
            columns[1].append(event["event_id"])
            columns[2].append(event["connector_id"])
            columns[3].append(datetime.fromisoformat(event["occurred_at"]))
            columns[4].append(event["operation"])
            columns[5].append(event["message"])
    return columns


async def _consume(spec: JobSpec, clickhouse: ClickHouse, stopwatch: Stopwatch) -> None:
    consumer = AIOKafkaConsumer(
        spec.topic,
        bootstrap_servers=spec.bootstrap,
        group_id=f"bench-floor-{spec.run}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_partition_fetch_bytes=8 << 20,
        fetch_max_bytes=64 << 20,
    )
    await consumer.start()
    pending: list[bytes] = []
    deadline = 0.0
    while True:
        batches = await consumer.getmany(timeout_ms=50, max_records=spec.max_records)
        for messages in batches.values():
            if messages:
                stopwatch.record_in()
                if not pending:
                    deadline = time.monotonic() + spec.flush_seconds
            pending += [message.value for message in messages]
        if pending and (len(pending) >= spec.max_records or time.monotonic() >= deadline):
            columns = _columns(pending)
            await clickhouse.ainsert_columns("sync_events", COLUMNS, columns)
            await consumer.commit()  # after the insert, as the pipeline does
            pending = []
            if stopwatch.inserted_now(len(columns[0])):
                finish()


def run_floor(spec: JobSpec) -> None:
    clickhouse = open_clickhouse(Settings(data_dir=spec.data_dir))
    asyncio.run(_consume(spec, clickhouse, Stopwatch("floor", spec.events)))
