"""A crash between the sync_events part and a rollup's part of one insert: the batch comes
again, its events are found stored, and their rollup minutes that miss events are re-derived,
and nothing else."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

from infra.clickhouse import ClickHouse
from processors.catalog import load_catalog
from processors.classifier import Classifier
from projections.rollup_repair import repair_rollup_minutes
from projections.sync_events import TABLE, SyncEventsWriter, rows_of
from schemas import ClassifiedBatch
from tests.support.factories import order_events


def _rollups(clickhouse: ClickHouse, licence: str) -> tuple[int, int]:
    counts = [
        clickhouse.rows(
            f"SELECT sum(events) FROM {table} WHERE licence_id = {{l:String}}", {"l": licence}
        )[0][0]
        for table in ("sync_minutes", "fingerprint_minutes")
    ]
    return int(counts[0]), int(counts[1])


def _lose_the_rollups_of(clickhouse: ClickHouse, licence: str, at: datetime) -> None:
    """As if the process died after the sync_events part, before the views' parts."""
    for table in ("sync_minutes", "fingerprint_minutes"):
        clickhouse.command(
            f"ALTER TABLE {table} DELETE WHERE licence_id = {{l:String}} "
            "AND minute = toStartOfMinute({t:DateTime64(3, 'UTC')}) SETTINGS mutations_sync = 1",
            {"l": licence, "t": at},
        )


def _minutes(clickhouse: ClickHouse, licence: str) -> list[tuple[str, datetime]]:
    return clickhouse.rows(
        f"SELECT DISTINCT licence_id, toStartOfMinute(occurred_at) FROM {TABLE} "
        "WHERE licence_id = {l:String}",
        {"l": licence},
    )


def _stored(clickhouse: ClickHouse, minutes: int) -> tuple[str, ClassifiedBatch, datetime]:
    licence = f"repair-{uuid.uuid4()}"
    classify = Classifier(load_catalog()).classify
    now = datetime.now(UTC)
    events = [classify(event) for event in order_events(30, "repair", now, minutes=minutes)]
    batch = ClassifiedBatch(licence_id=licence, received_at=now, events=events)
    asyncio.run(SyncEventsWriter(clickhouse).write(rows_of(batch)))
    assert _rollups(clickhouse, licence) == (30, 15)
    return licence, batch, now


def test_a_redelivered_batch_mends_the_rollups_its_first_delivery_left_short(
    clickhouse: ClickHouse,
) -> None:
    licence, batch, now = _stored(clickhouse, minutes=3)
    _lose_the_rollups_of(clickhouse, licence, now)
    assert _rollups(clickhouse, licence) < (30, 15)

    writer = SyncEventsWriter(clickhouse)
    assert asyncio.run(writer.write(rows_of(batch))) == 0  # stored already: skipped
    assert _rollups(clickhouse, licence) == (30, 15)
    assert asyncio.run(writer.write(rows_of(batch))) == 0
    assert _rollups(clickhouse, licence) == (30, 15)


def test_only_the_minutes_that_miss_events_are_rederived(clickhouse: ClickHouse) -> None:
    licence, _, now = _stored(clickhouse, minutes=3)
    minutes = _minutes(clickhouse, licence)
    assert len(minutes) == 3
    assert repair_rollup_minutes(clickhouse, TABLE, minutes) == 0

    _lose_the_rollups_of(clickhouse, licence, now)
    # One minute short, in both rollups.
    assert repair_rollup_minutes(clickhouse, TABLE, minutes) == 2
    assert _rollups(clickhouse, licence) == (30, 15)
    assert repair_rollup_minutes(clickhouse, TABLE, minutes) == 0


def test_a_rollup_holding_more_than_sync_events_is_left_alone(clickhouse: ClickHouse) -> None:
    """Rollups outlive sync_events: once TTL dropped old events, their minutes still count them."""
    licence, _, now = _stored(clickhouse, minutes=3)
    minutes = _minutes(clickhouse, licence)
    clickhouse.command(
        f"ALTER TABLE {TABLE} DELETE WHERE licence_id = {{l:String}} "
        "AND toStartOfMinute(occurred_at) = toStartOfMinute({t:DateTime64(3, 'UTC')}) "
        "SETTINGS mutations_sync = 1",
        {"l": licence, "t": now},
    )
    assert repair_rollup_minutes(clickhouse, TABLE, minutes) == 0
    assert _rollups(clickhouse, licence) == (30, 15)
