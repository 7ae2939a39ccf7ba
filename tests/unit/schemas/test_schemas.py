from __future__ import annotations

import uuid
from datetime import UTC, datetime

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from schemas import RawBatch, SyncEvent
from schemas.json_schema import SCHEMA_DIR, VERSIONS, schema_file_name, sync_event_json_schema
from schemas.records import encode_batches
from schemas.sync_event import _EVENT_ID_NAMESPACE, derived_id
from schemas.text import fold


def event(**overrides: object) -> SyncEvent:
    fields: dict[str, object] = {
        "connector_id": "shop-1",
        "occurred_at": "2026-11-28T10:00:00.123456+01:00",
        "operation": "order.import",
        "message": "Commande 000145 importée",
    }
    return SyncEvent.model_validate(fields | overrides)


@pytest.mark.parametrize("version", sorted(VERSIONS))
def test_exported_json_schemas_are_up_to_date(version: int) -> None:
    assert (SCHEMA_DIR / schema_file_name(version)).read_bytes() == sync_event_json_schema(
        version
    ), "run `ero schema export` and commit the files"


def test_v2_is_v1_plus_duration_ms_only() -> None:
    v1, v2 = (orjson.loads(sync_event_json_schema(v))["properties"] for v in (1, 2))
    assert set(v2) - set(v1) == {"duration_ms"}
    assert {k: v for k, v in v2.items() if k != "duration_ms"} == v1
    assert event().duration_ms is None
    assert event(duration_ms=1250).duration_ms == 1250
    with pytest.raises(ValidationError, match="greater than or equal to 0"):
        event(duration_ms=-1)


def test_a_v1_line_keeps_its_derived_event_id() -> None:
    assert event().with_identity("L1").event_id == uuid.UUID(
        "44e6329f-8dfb-58a0-8ed6-7e545862eb14"
    )  # as before v2


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


@given(st.text())
def test_a_derived_id_is_the_name_based_uuid_of_its_content(content: str) -> None:
    assert derived_id(content) == uuid.uuid5(_EVENT_ID_NAMESPACE, content)
