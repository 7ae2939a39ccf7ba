"""A block's lookup run ahead of its store (while the previous block is inserted) still stores
each event once: its store skips what the blocks stored since the lookup began held, and runs
the lookup again when it is too old or a replay swapped the table it read."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest

from infra.clickhouse import ClickHouse
from processors.catalog import load_catalog
from processors.classifier import Classifier
from projections.sync_events import Block, SyncEventsWriter, rows_of
from projections.write_gate import GatedSyncEventsWriter, WriteGate
from schemas import ClassifiedBatch, SyncEvent

CLASSIFY = Classifier(load_catalog()).classify
# A repeated event keeps its time: the lookup reads the block's span of times.
AT = datetime.now(UTC)


def _block(licence: str, ids: list[uuid.UUID], at: datetime = AT) -> Block:
    events = [
        CLASSIFY(
            SyncEvent(
                event_id=event_id,
                connector_id="c",
                occurred_at=at,
                operation="order.import",
                message="Commande importée",
            )
        )
        for event_id in ids
    ]
    batch = ClassifiedBatch(licence_id=licence, received_at=at, events=events)
    return SyncEventsWriter.prepare(rows_of(batch))


def _counts(clickhouse: ClickHouse, licence: str) -> tuple[int, int]:
    """(rows of sync_events, events counted by the minute rollup) of the licence."""
    bound = {"l": licence}
    stored = clickhouse.rows("SELECT count() FROM sync_events WHERE licence_id = {l:String}", bound)
    counted = clickhouse.rows(
        "SELECT sum(events) FROM sync_minutes WHERE licence_id = {l:String}", bound
    )
    return stored[0][0], counted[0][0]


@pytest.fixture
def licence() -> str:
    return f"ahead-{uuid.uuid4()}"


def test_a_lookup_made_while_the_previous_block_was_stored_skips_its_events(
    clickhouse: ClickHouse, licence: str
) -> None:
    writer = SyncEventsWriter(clickhouse, lookups=clickhouse.separate())
    shared = uuid.uuid4()
    first, second = _block(licence, [shared, uuid.uuid4()]), _block(licence, [shared])
    ahead = writer.look_ahead(second)  # before `first` is stored: it sees nothing of it
    assert ahead is not None
    assert not ahead.known
    assert writer.store_blocking(first) == 2
    assert writer.store_blocking(second, ahead) == 0
    assert _counts(clickhouse, licence) == (2, 2)


def test_a_lookup_older_than_the_blocks_kept_is_made_again(
    clickhouse: ClickHouse, licence: str
) -> None:
    writer = SyncEventsWriter(clickhouse)
    shared = uuid.uuid4()
    late = _block(licence, [shared, uuid.uuid4()])
    ahead = writer.look_ahead(late)
    assert writer.store_blocking(_block(licence, [shared])) == 1
    for _ in range(8):  # more blocks than the writer keeps the keys of
        writer.store_blocking(_block(licence, [uuid.uuid4()]))
    assert writer.store_blocking(late, ahead) == 1
    assert _counts(clickhouse, licence) == (10, 10)


def test_a_lookup_made_before_a_swap_is_made_again(clickhouse: ClickHouse, licence: str) -> None:
    gate = WriteGate()
    writer = GatedSyncEventsWriter(clickhouse, gate, clickhouse.separate())
    shared = uuid.uuid4()
    block = _block(licence, [shared])
    ahead = writer.look_ahead(block)

    async def swap_in_a_table_holding_the_event() -> None:
        async with gate.swapping():
            # What the replay's table brings: the event, stored by another writer.
            await SyncEventsWriter(clickhouse).store(_block(licence, [shared]))

    asyncio.run(swap_in_a_table_holding_the_event())
    assert asyncio.run(writer.store(block, ahead)) == 0
    assert _counts(clickhouse, licence) == (1, 1)
