"""The hot stage's two readings of a raw record: sealed by our gateway (taken as laid out) or
not (validated). Both must give the same rows and feed; a seal that does not verify must never
spare a record its validation."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import orjson

from infra.clickhouse import ClickHouse
from infra.log_producer import LogProducer, ProducerConfig
from pipeline.classify_and_store import ClassifyAndStore, Prepared
from processors.catalog import load_catalog
from processors.classifier import Classifier
from projections.archive import ArchivedRow, ArchiveWriter
from projections.sync_events import SyncEventsWriter
from schemas import SyncEvent
from schemas.records import SEAL_HEADER, RecordSeal, encode_batches, unpack_record
from streaming.dead_letter_limit import DeadLetterGuard, DeadLetterLimit
from tests.support.factories import raw_record

SEAL = RecordSeal(b"a key of the test suite, shared")
CLASSIFIER = Classifier(load_catalog())


def stage(clickhouse: ClickHouse) -> ClassifyAndStore:
    return ClassifyAndStore(
        classifier=lambda: CLASSIFIER,
        writer=SyncEventsWriter(clickhouse),
        archive=ArchiveWriter(clickhouse),
        producer=LogProducer(ProducerConfig("127.0.0.1:1", 1 << 20, 1.0)),  # never used by prepare
        seal=SEAL,
        classified_topic="classified",
        dead_letter_topic="dead-letter",
        max_record_bytes=1 << 20,
        guard=DeadLetterGuard("classify", DeadLetterLimit(1000, 0.5, 10_000)),
    )


def events() -> list[SyncEvent]:
    lines: list[dict[str, object]] = [
        {"message": "Commande 000146 importée", "status": "ok"},
        {"message": "Article « ABC-1 »\nabsent de la gestion commerciale", "status": "ERREUR"},
        {"message": "Stock: HTTP 503 Service Unavailable", "code": "E503", "duration_ms": 40},
    ]
    common: dict[str, object] = {"operation": "stock.export", "attributes": {"site": "fr"}}
    return [
        SyncEvent.model_validate(
            common
            | {
                "connector_id": "shop-1",
                "occurred_at": f"2026-11-28T10:00:0{n}.5+01:00",
                "reference": f"REF-{n}",
            }
            | line
        ).with_identity("L1")
        for n, line in enumerate(lines)
    ]


def outputs(prepared: Prepared) -> tuple[list[bytes], list[tuple[str, bytes]]]:
    assert prepared.block is not None
    return prepared.block.lines, [(topic, value) for topic, _, value, _ in prepared.records]


def test_a_record_keeps_each_event_on_a_line_of_its_own() -> None:
    received_at = datetime.now(UTC)
    [value] = encode_batches("L1", received_at, events(), 1 << 20)
    head, lines = unpack_record(value)
    assert head["licence_id"] == "L1"
    assert datetime.fromisoformat(head["received_at"]) == received_at
    assert [SyncEvent.model_validate_json(line) for line in lines] == events()


def test_sealed_and_validated_records_give_the_same_rows_and_feed(
    clickhouse: ClickHouse,
) -> None:
    [value] = encode_batches("L1", datetime.now(UTC), events(), 1 << 20)
    # What a direct producer writes: compact JSON, no seal.
    direct = orjson.dumps(orjson.loads(value))
    hot = stage(clickhouse)
    sealed = outputs(hot.prepare([raw_record(value, [SEAL.header(value)])]))
    validated = outputs(hot.prepare([raw_record(direct, [])]))
    assert sealed == validated
    lines, feed = sealed
    assert len(lines) == 3
    [(topic, classified)] = feed
    assert topic == "classified"
    levels = [event["level"] for event in orjson.loads(classified)["events"]]
    assert levels == ["success", "error", "error"]


def test_the_stage_files_every_record_as_the_archive_consumer_would(
    clickhouse: ClickHouse,
) -> None:
    """The stage files records from its own reading of them (sealed, validated, unreadable):
    the rows must be those the archive's own consumer (pipeline/archive_raw.py) would file."""
    [value] = encode_batches("L1", datetime.now(UTC), events(), 1 << 20)
    direct = orjson.dumps(orjson.loads(value))
    records = [
        raw_record(value, [SEAL.header(value)], 0),
        raw_record(direct, [], 1),
        raw_record(b"not json at all", [], 2),
    ]
    prepared = stage(clickhouse).prepare(records)
    assert prepared.archived == [ArchivedRow.of(r, SEAL) for r in records]
    assert [(row.licence_id, row.events) for row in prepared.archived] == [
        ("L1", 3),
        ("L1", 3),
        ("L1", 0),  # under its key, as a dead letter's trail
    ]


def test_a_record_whose_seal_does_not_verify_is_validated_and_dead_lettered() -> None:
    bad = events()[0].model_dump(mode="json") | {"event_id": "not-a-uuid", "extra": 1}
    value = b'{"licence_id":"L1","received_at":"2026-11-28T10:00:00Z","events":[\n'
    value += orjson.dumps(bad) + b"\n]}"
    forged = [(SEAL_HEADER, b"0" * 16)]
    other_key = [RecordSeal(b"somebody else's key, not ours").header(value)]
    hot = ClassifyAndStore(
        classifier=lambda: CLASSIFIER,
        writer=None,
        archive=None,
        producer=LogProducer(ProducerConfig("127.0.0.1:1", 1 << 20, 1.0)),
        seal=SEAL,
        classified_topic="classified",
        dead_letter_topic="dead-letter",
        max_record_bytes=1 << 20,
        guard=DeadLetterGuard("classify", DeadLetterLimit(1000, 0.5, 10_000)),
    )
    prepared = hot.prepare([raw_record(value, forged, 0), raw_record(value, other_key, 1)])
    assert prepared.block is None
    assert [topic for topic, *_ in prepared.records] == ["dead-letter", "dead-letter"]
    reasons = orjson.loads(prepared.records[0][2])["errors"]
    assert {error["field"] for error in reasons} >= {"events.0.event_id", "events.0.extra"}
    assert SEAL.verifies(value, [SEAL.header(value)])
    assert not SEAL.verifies(value + b" ", [SEAL.header(value)])


def test_unsealed_events_without_an_id_get_the_derived_one(clickhouse: ClickHouse) -> None:
    line = events()[0].model_dump(mode="json") | {"event_id": None}
    value = orjson.dumps(
        {"licence_id": "L1", "received_at": "2026-11-28T10:00:00Z", "events": [line]}
    )
    prepared = stage(clickhouse).prepare([raw_record(value, [])])
    assert prepared.block is not None
    assert prepared.block.keys == [("L1", str(events()[0].event_id))]
    assert uuid.UUID(prepared.block.keys[0][1])
