"""Events read as fields are the events read as SyncEvent models: same values, same ids, same
record bytes, and the same lines refused."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from schemas import RawBatch, SyncEvent
from schemas.event_fields import (
    EVENT_FIELDS_LIST,
    STORED_LAST,
    encode_fields,
    fields_json,
    of_model,
    raw_batch_fields,
    stored_instants,
    with_event_id,
)
from schemas.records import encode_batches
from schemas.sync_event import stored_instant

MODELS = TypeAdapter(list[SyncEvent])
NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
LINE = {"connector_id": "c", "operation": "o", "message": "m", "event_id": str(uuid.uuid4())}

text = st.text(st.characters(codec="utf-8"), max_size=40)
# Within the contract's bounds (SyncEvent.status: 32 characters): the lines are ones it accepts.
status = st.text(st.characters(codec="utf-8"), max_size=32)
lines = st.fixed_dictionaries(
    {
        "connector_id": text.map(lambda value: f" shop{value} "),
        "occurred_at": st.builds(
            lambda micros, hours: (
                NOW.astimezone(timezone(timedelta(hours=hours))) - timedelta(microseconds=micros)
            ).isoformat(),
            st.integers(0, 10**11),
            st.integers(-12, 14),
        ),
        "operation": st.sampled_from(["order.import", " stock.export "]),
        "message": text.map(lambda value: "m" + value),
    },
    optional={
        "event_id": st.uuids().map(str),
        "reference": text,
        "status": st.none() | status,
        "code": st.none() | text,
        "sync_id": st.none() | text,
        "config_id": st.none() | text,
        "attributes": st.dictionaries(text, text, max_size=3),
        "duration_ms": st.none() | st.integers(0, 86_400_000),
    },
)


def read_as_fields(body: bytes) -> list[dict[str, Any]]:
    events = EVENT_FIELDS_LIST.validate_json(body)
    assert stored_instants(events)
    return events


@settings(max_examples=200, deadline=None)
@given(st.lists(lines, min_size=1, max_size=5))
def test_fields_are_the_models_fields_and_encode_to_the_same_records(
    body_lines: list[dict[str, Any]],
) -> None:
    body = orjson.dumps(body_lines)
    models = [event.with_identity("L1") for event in MODELS.validate_json(body)]
    fields = [with_event_id(event, "L1") for event in read_as_fields(body)]
    assert fields == [of_model(event) for event in models]
    assert [list(event) for event in fields] == [list(SyncEvent.model_fields)] * len(fields)
    assert list(encode_fields("L1", NOW, fields, 600)) == list(
        encode_batches("L1", NOW, models, 600)
    )


@pytest.mark.parametrize(
    "change",
    [
        {"surprise": 1},
        {"operation": "  "},
        {"message": ""},
        {"occurred_at": "2026-12-06T12:00:00"},
        {"attributes": {"k": 1}},
        {"duration_ms": -1},
        {"event_id": "not-a-uuid"},
    ],
)
def test_a_line_the_model_refuses_the_fields_refuse(change: dict[str, object]) -> None:
    body = orjson.dumps([{**LINE, "occurred_at": NOW.isoformat()} | change])
    with pytest.raises(ValidationError):
        MODELS.validate_json(body)
    with pytest.raises(ValidationError):
        EVENT_FIELDS_LIST.validate_json(body)


def test_an_instant_no_database_holds_is_refused_by_both() -> None:
    body = orjson.dumps([{**LINE, "occurred_at": "0001-01-01T00:00:00+01:00"}])
    with pytest.raises(ValidationError, match="occurred_at_out_of_range"):
        MODELS.validate_json(body)
    [fields] = EVENT_FIELDS_LIST.validate_json(body)
    with pytest.raises(ValueError, match="before 1900-01-01"):
        stored_instant(fields["occurred_at"])
    assert not stored_instants([fields])
    late = {**fields, "occurred_at": datetime(2300, 1, 1, tzinfo=UTC)}
    assert not stored_instants([late])
    assert stored_instants([{**late, "occurred_at": STORED_LAST}])


@settings(max_examples=100, deadline=None)
@given(st.lists(lines, max_size=3), st.integers(-12, 14))
def test_a_raw_batch_reads_as_its_model_does(
    body_lines: list[dict[str, Any]], offset_hours: int
) -> None:
    received_at = NOW.astimezone(timezone(timedelta(hours=offset_hours)))
    value = orjson.dumps(
        {"licence_id": "L1", "received_at": received_at.isoformat(), "events": body_lines}
    )
    model = RawBatch.model_validate_json(value)
    licence_id, accepted_at, events = raw_batch_fields(value)
    assert (licence_id, accepted_at) == (model.licence_id, model.received_at)
    assert events == [of_model(event) for event in model.events]
    assert [fields_json(fields) for fields in events] == [
        SyncEvent.__pydantic_serializer__.to_json(event) for event in model.events
    ]


@pytest.mark.parametrize(
    "batch",
    [
        {"licence_id": "L1", "received_at": "0001-01-01T00:00:00+01:00", "events": []},
        {"licence_id": "L1", "received_at": NOW.isoformat(), "events": [{"message": "m"}]},
        {
            "licence_id": "L1",
            "received_at": NOW.isoformat(),
            "events": [{**LINE, "occurred_at": "1800-01-01T00:00:00+00:00"}],
        },
        [],
    ],
)
def test_a_raw_batch_the_model_refuses_raises_the_models_error(batch: object) -> None:
    value = orjson.dumps(batch)
    with pytest.raises(ValidationError) as by_model:
        RawBatch.model_validate_json(value)
    with pytest.raises(ValidationError) as by_fields:
        raw_batch_fields(value)
    assert by_fields.value.errors() == by_model.value.errors()
