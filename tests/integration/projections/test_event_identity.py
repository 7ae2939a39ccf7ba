"""An event is (licence, event_id): two licences may send the same id, and each is stored, once,
whether their lines share a block, come in different blocks, or are copied into a replay's
shadow."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from infra.clickhouse import ClickHouse
from processors.catalog import load_catalog
from processors.classifier import Classifier
from projections.shadow import ShadowTables
from projections.sync_events import Row, SyncEventsWriter, rows_of
from schemas import ClassifiedBatch, SyncEvent

CLASSIFY = Classifier(load_catalog()).classify


def _rows(licence: str, ids: list[uuid.UUID], at: datetime) -> list[Row]:
    events = [
        CLASSIFY(
            SyncEvent(
                event_id=event_id,
                connector_id="c",
                occurred_at=at,
                operation="order.import",
                message=f"Commande de {licence}",
            )
        )
        for event_id in ids
    ]
    return rows_of(ClassifiedBatch(licence_id=licence, received_at=at, events=events))


def _stored(clickhouse: ClickHouse, table: str, licences: list[str]) -> list[tuple[str, str]]:
    rows = clickhouse.rows(
        f"SELECT licence_id, message FROM {table} WHERE licence_id IN {{l:Array(String)}} "
        "ORDER BY licence_id",
        {"l": licences},
    )
    return [(licence, message) for licence, message in rows]


@pytest.fixture
def licences() -> list[str]:
    return [f"A-{uuid.uuid4()}", f"B-{uuid.uuid4()}"]


def test_the_same_id_from_two_licences_in_one_block_is_two_events(
    clickhouse: ClickHouse, licences: list[str]
) -> None:
    a, b = licences
    shared = [uuid.uuid4(), uuid.uuid4()]
    now = datetime.now(UTC)
    writer = SyncEventsWriter(clickhouse)
    assert asyncio.run(writer.write(_rows(a, shared, now) + _rows(b, shared, now))) == 4
    assert asyncio.run(writer.write(_rows(a, shared, now) + _rows(b, shared, now))) == 0
    expected = [(a, f"Commande de {a}")] * 2 + [(b, f"Commande de {b}")] * 2
    assert _stored(clickhouse, "sync_events", licences) == expected


def test_an_id_stored_for_one_licence_does_not_hide_another_licences_event(
    clickhouse: ClickHouse, licences: list[str]
) -> None:
    a, b = licences
    shared = [uuid.uuid4()]
    now = datetime.now(UTC)
    writer = SyncEventsWriter(clickhouse)
    assert asyncio.run(writer.write(_rows(b, shared, now))) == 1
    # B's batch delivered again alongside A's first one: only A's is new.
    assert asyncio.run(writer.write(_rows(a, shared, now) + _rows(b, shared, now))) == 1
    assert _stored(clickhouse, "sync_events", licences) == [
        (a, f"Commande de {a}"),
        (b, f"Commande de {b}"),
    ]


@pytest.fixture
def shadow(clickhouse: ClickHouse) -> Iterator[ShadowTables]:
    tables = ShadowTables(clickhouse)
    tables.create()
    yield tables
    tables.drop()


def test_a_replay_copies_the_live_event_another_licence_shares_an_id_with(
    clickhouse: ClickHouse, licences: list[str], shadow: ShadowTables
) -> None:
    a, b = licences
    shared = [uuid.uuid4()]
    now = datetime.now(UTC)
    asyncio.run(SyncEventsWriter(clickhouse).write(_rows(a, shared, now) + _rows(b, shared, now)))
    # The replay re-derived B's event only (A's was accepted before its `since`).
    asyncio.run(SyncEventsWriter(clickhouse, shadow.source_shadow).write(_rows(b, shared, now)))
    shadow.copy_missing()
    assert _stored(clickhouse, shadow.source_shadow, licences) == [
        (a, f"Commande de {a}"),
        (b, f"Commande de {b}"),
    ]
