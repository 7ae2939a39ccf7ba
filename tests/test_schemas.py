from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from schemas import RawBatch, SyncEvent
from schemas.json_schema import SYNC_EVENT_SCHEMA_FILE, sync_event_json_schema
from schemas.records import encode_batches
from schemas.text import fold


def event(**overrides: object) -> SyncEvent:
    fields: dict[str, object] = {
        "connector_id": "shop-1",
        "occurred_at": "2026-11-28T10:00:00.123456+01:00",
        "operation": "order.import",
        "message": "Commande 000145 importée",
    }
    return SyncEvent.model_validate(fields | overrides)


def test_exported_json_schema_is_up_to_date() -> None:
    assert SYNC_EVENT_SCHEMA_FILE.read_bytes() == sync_event_json_schema(), (
        "run `ero schema export` and commit the file"
    )


def test_occurred_at_is_kept_in_utc_to_the_millisecond() -> None:
    assert event().occurred_at == datetime(2026, 11, 28, 9, 0, 0, 123000, tzinfo=UTC)


def test_occurred_at_needs_an_offset() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        event(occurred_at="2026-11-28T10:00:00")


def test_unknown_fields_are_refused_by_name() -> None:
    with pytest.raises(ValidationError) as caught:
        event(licence_id="someone-else")
    assert caught.value.errors()[0]["loc"] == ("licence_id",)


def test_derived_event_id_is_stable_and_content_bound() -> None:
    first = event().with_identity("L1")
    assert first.event_id == event().with_identity("L1").event_id
    assert first.event_id != event(message="autre").with_identity("L1").event_id
    assert first.event_id != event().with_identity("L2").event_id
    given = uuid.uuid4()
    assert event(event_id=str(given)).with_identity("L1").event_id == given


def test_records_stay_under_the_size_bound_and_keep_every_event() -> None:
    events = [event(message=f"ligne {i} " + "x" * 200).with_identity("L") for i in range(100)]
    records = list(encode_batches("L", datetime.now(UTC), events, max_bytes=4096))
    assert len(records) > 1
    assert all(len(record) <= 4096 for record in records)
    decoded = [e for record in records for e in RawBatch.model_validate_json(record).events]
    assert decoded == events


def test_fold_ignores_case_accents_and_typographic_quotes() -> None:
    assert fold("Écart de TVA ’Réf’ ÀÉÎÕÜ") == "ecart de tva 'ref' aeiou"
