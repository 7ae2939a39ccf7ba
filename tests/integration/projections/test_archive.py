"""The archive reads a record our gateway sealed by its head line alone: it must file it exactly
as a full decoding would, and file any other record (a direct producer's, a forged seal, bytes
that are not JSON) under what it can read of it, once."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
from aiokafka import ConsumerRecord

from infra.clickhouse import ClickHouse
from projections.archive import ArchivedRow, ArchiveWriter
from schemas import SyncEvent
from schemas.records import SEAL_HEADER, RecordSeal, encode_batches
from tests.support.factories import raw_record

SEAL = RecordSeal(b"the archive tests' record key")
ACCEPTED = datetime(2026, 11, 28, 9, 30, 0, 123000, tzinfo=UTC)


def raw_batch() -> bytes:
    events = [
        SyncEvent.model_validate(
            {
                "connector_id": "shop-1",
                "occurred_at": "2026-11-28T09:00:00Z",
                "operation": "order.import",
                "message": f"Commande {n} importée",
            }
        ).with_identity("L-archive")
        for n in range(7)
    ]
    [value] = encode_batches("L-archive", ACCEPTED, events, 1 << 20)
    return value


def log_record(value: bytes, headers: list[tuple[str, bytes]], offset: int = 0) -> ConsumerRecord:
    return raw_record(value, headers, offset, key=b"L-key", timestamp_ms=1_795_858_200_000)


def test_a_sealed_record_is_filed_as_a_full_decoding_would_file_it() -> None:
    value = raw_batch()
    sealed = ArchivedRow.of(log_record(value, [SEAL.header(value)]), SEAL)
    decoded = ArchivedRow.of(log_record(value, []), SEAL)
    assert (sealed.licence_id, sealed.received_at, sealed.events) == ("L-archive", ACCEPTED, 7)
    assert (decoded.licence_id, decoded.received_at, decoded.events) == ("L-archive", ACCEPTED, 7)
    assert sealed.record_hash == decoded.record_hash


def test_other_records_are_filed_under_what_can_be_read_of_them() -> None:
    compact = orjson.dumps(orjson.loads(raw_batch()))  # a direct producer's layout
    forged = ArchivedRow.of(log_record(compact, [(SEAL_HEADER, b"0" * 16)]), SEAL)
    assert (forged.licence_id, forged.events) == ("L-archive", 7)
    garbage = ArchivedRow.of(log_record(b"not json\n at all", []), SEAL)
    assert (garbage.licence_id, garbage.events) == ("L-key", 0)
    assert garbage.received_at == datetime(2026, 11, 28, 9, 30, tzinfo=UTC)


def test_a_record_delivered_again_is_read_once(clickhouse: ClickHouse) -> None:
    value = raw_batch().replace(b"L-archive", b"L-archive-once")
    writer = ArchiveWriter(clickhouse)
    row = ArchivedRow.of(log_record(value, [SEAL.header(value)]), SEAL)
    writer.write_rows([row, row])
    redelivered = log_record(value, [SEAL.header(value)], offset=9)
    writer.write_rows([ArchivedRow.of(redelivered, SEAL)])
    stored = clickhouse.rows(
        "SELECT events, record FROM event_archive FINAL WHERE licence_id = {l:String}",
        {"l": "L-archive-once"},
    )
    assert [(events, bytes(record, "utf-8")) for events, record in stored] == [(7, value)]


def test_a_record_whose_times_no_database_can_hold_is_still_filed(clickhouse: ClickHouse) -> None:
    """A direct producer's records: .NET's DateTime.MinValue with an offset as accept time is
    filed under the log timestamp; a log timestamp past year 9999 too, under the time it is read.
    Never a crash, never a time the retention drops at once."""
    value = orjson.dumps(
        {"licence_id": "L-odd-times", "received_at": "0001-01-01T00:00:00+01:00", "events": []}
    )
    logged = raw_record(value, [], key=b"L-odd-times", timestamp_ms=1_795_858_200_000)
    assert ArchivedRow.of(logged, SEAL).received_at == datetime(2026, 11, 28, 9, 30, tzinfo=UTC)
    before = datetime.now(UTC)
    row = ArchivedRow.of(raw_record(value, [], key=b"L-odd-times", timestamp_ms=10**16), SEAL)
    assert row.licence_id == "L-odd-times"
    assert before <= row.received_at <= datetime.now(UTC)
    ArchiveWriter(clickhouse).write_rows([row])
    stored = clickhouse.rows(
        "SELECT count() FROM event_archive FINAL WHERE licence_id = 'L-odd-times'"
    )
    assert stored == [(1,)]
