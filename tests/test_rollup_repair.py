"""A crash between the sync_events part and a rollup's part of one insert: the next start
re-derives the rollup minutes that miss events, and touches nothing else."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from processors.catalog import load_catalog
from processors.classifier import Classifier
from projections.clickhouse import ClickHouse
from projections.rollup_repair import repair_recent_rollups
from projections.sync_events import SyncEventsWriter, rows_of
from schemas import ClassifiedBatch
from tests.factories import order_events


def _rollups(clickhouse: ClickHouse, licence: str) -> tuple[int, int]:
    counts = [
        clickhouse.rows(
            f"SELECT sum(events) FROM {table} WHERE licence_id = {{l:String}}", {"l": licence}
        )[0][0]
        for table in ("sync_minutes", "fingerprint_minutes")
    ]
    return int(counts[0]), int(counts[1])


def test_rollup_minutes_missing_events_are_rederived_once(clickhouse: ClickHouse) -> None:
    licence = f"repair-{uuid.uuid4()}"
    classify = Classifier(load_catalog()).classify
    now = datetime.now(UTC)
    events = [classify(event) for event in order_events(30, "repair", now, minutes=3)]
    # The newest accepted in this shared table: what the repair looks at.
    newest = clickhouse.rows("SELECT max(received_at) FROM sync_events")[0][0]
    received_at = max(now, newest.replace(tzinfo=UTC) + timedelta(seconds=1))
    batch = ClassifiedBatch(licence_id=licence, received_at=received_at, events=events)
    asyncio.run(SyncEventsWriter(clickhouse).write(rows_of(batch)))
    assert _rollups(clickhouse, licence) == (30, 15)

    # As if the process died after the sync_events part, before the views' parts.
    for table in ("sync_minutes", "fingerprint_minutes"):
        clickhouse.command(
            f"ALTER TABLE {table} DELETE WHERE licence_id = {{l:String}} "
            "AND minute = toStartOfMinute({t:DateTime64(3, 'UTC')}) SETTINGS mutations_sync = 1",
            {"l": licence, "t": now.replace(tzinfo=None)},
        )
    assert _rollups(clickhouse, licence) < (30, 15)

    assert repair_recent_rollups(clickhouse) == 2
    assert _rollups(clickhouse, licence) == (30, 15)
    assert repair_recent_rollups(clickhouse) == 0
