"""ClickHouse unavailable: the projection agent (Faust's test context, the real chdb engine behind
it) acks nothing, backs off with the reason logged, and catches up once the table is back.

The outage is the projection's table missing (as when a server drops it or refuses the insert):
every insert fails until it is created again, with no mock between the agent and ClickHouse.
"""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from datetime import UTC, datetime
from typing import Any

import faust
from structlog.testing import capture_logs

from processors.catalog import load_catalog
from processors.classifier import Classifier
from projections.agent import register_projection
from projections.clickhouse import ClickHouse
from projections.sync_events import SyncEventsWriter
from schemas import ClassifiedBatch
from tests.factories import order_events
from tests.pipeline import wait_until

TABLE = "outage_sync_events"


def _record(n: int) -> bytes:
    classify = Classifier(load_catalog()).classify
    now = datetime.now(UTC)
    events = [classify(event) for event in order_events(10, str(n), now)]
    batch = ClassifiedBatch(licence_id="outage", received_at=now, events=events)
    return batch.model_dump_json().encode()


async def _until(check: Any) -> None:
    """wait_until, in a thread: the agent runs on this loop meanwhile."""
    await asyncio.to_thread(wait_until, check, 30.0)


async def test_the_projection_stops_acking_backs_off_and_catches_up(
    clickhouse: ClickHouse,
) -> None:
    clickhouse.command(f"DROP TABLE IF EXISTS {TABLE}")
    app: Any = faust.App("test-outage", store="memory://", autodiscover=False)
    topic = app.topic("classified", key_serializer="raw", value_serializer="raw")
    acked: list[Any] = []
    register_projection(
        app,
        topic,
        SyncEventsWriter(clickhouse, table=TABLE),
        max_records=10,
        within=0.05,
        on_done=acked.append,
    )

    def stored() -> int:
        return int(clickhouse.rows(f"SELECT count() FROM {TABLE}")[0][0])

    with capture_logs() as logs:
        async with app.agents["project-sync-events"].test_context() as agent:
            records = [_record(n) for n in range(3)]
            for record in records:
                await agent.put(record, key=b"outage", wait=False)

            def failures() -> list[MutableMapping[str, Any]]:
                return [e for e in logs if e["event"] == "projection_insert_failed"]

            await _until(lambda: len(failures()) >= 2)
            assert acked == [], "nothing is acked while ClickHouse refuses"
            assert TABLE in failures()[0]["error"], "the reason is logged"
            assert failures()[1]["retry_in"] > failures()[0]["retry_in"], "backs off"

            clickhouse.command(f"CREATE TABLE {TABLE} AS sync_events")
            await _until(lambda: len(acked) == 3)
            # A redelivery after the outage (at-least-once) changes nothing.
            await agent.put(records[0], key=b"outage", wait=False)
            await _until(lambda: len(acked) == 4)
    assert stored() == 30
    assert int(clickhouse.rows(f"SELECT uniqExact(event_id) FROM {TABLE}")[0][0]) == 30
    clickhouse.command(f"DROP TABLE {TABLE}")
