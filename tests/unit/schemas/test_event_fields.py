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
    STORED_LAST,
    encode_fields,
    fields_json,
    of_model,
    raw_batch_fields,
    stored_instants,
    valid_fields,
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
    events = valid_fields(body)
    assert events is not None, "read without the models"
    assert stored_instants(events)
    return events


@settings(max_examples=1000, deadline=None)
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
    assert valid_fields(body) is None


@pytest.mark.parametrize(
    "change",
    [
        {"occurred_at": "2026-12-06 12:00:00Z"},  # pydantic reads more than RFC 3339
        {"occurred_at": "2026-12-06t12:00:00z"},
        {"occurred_at": "2026-12-06T12:00:00,5Z"},
        {"occurred_at": 1_796_558_400},
        {"event_id": "{" + LINE["event_id"] + "}"},
        {"event_id": "urn:uuid:" + LINE["event_id"]},
        {"duration_ms": 5.0},
    ],
)
def test_a_line_only_the_model_reads_is_left_to_it(change: dict[str, object]) -> None:
    """The fields' reading takes what it reads exactly as the model does; the rest is the
    model's to read, as the gateway and the stage then do, line by line."""
    body = orjson.dumps([{**LINE, "occurred_at": NOW.isoformat()} | change])
    assert valid_fields(body) is None
    assert len(MODELS.validate_json(body)) == 1


@pytest.mark.parametrize(
    ("written", "read"),
    [
        # .NET's round trip format: seven digits, truncated as pydantic truncates them
        ("2026-12-06T12:59:59.9999999+01:00", datetime(2026, 12, 6, 11, 59, 59, 999000, UTC)),
        ("2026-12-06T12:00:00.123456789Z", datetime(2026, 12, 6, 12, 0, 0, 123000, UTC)),
        ("2026-12-06T12:00:00-00:00", datetime(2026, 12, 6, 12, 0, tzinfo=UTC)),
    ],
)
def test_instants_read_as_the_model_reads_them(written: str, read: datetime) -> None:
    body = orjson.dumps([{**LINE, "occurred_at": written}])
    [model] = MODELS.validate_json(body)
    assert read_as_fields(body)[0]["occurred_at"] == model.occurred_at == read


def test_identifiers_are_stripped_then_measured_as_the_model_does() -> None:
    line = {**LINE, "occurred_at": NOW.isoformat(), "connector_id": " " + "c" * 128 + "\u3000"}
    body = orjson.dumps([line])
    [model] = MODELS.validate_json(body)
    assert read_as_fields(body)[0]["connector_id"] == model.connector_id == "c" * 128
    too_long = orjson.dumps([line | {"connector_id": "c" * 129}])
    assert valid_fields(too_long) is None
    with pytest.raises(ValidationError):
        MODELS.validate_json(too_long)


def test_a_repeated_key_reads_as_the_model_reads_it() -> None:
    line = orjson.dumps({**LINE, "occurred_at": NOW.isoformat()})[:-1] + b',"message":"last"}'
    [model] = MODELS.validate_json(b"[" + line + b"]")
    assert read_as_fields(b"[" + line + b"]")[0]["message"] == model.message == "last"


def test_an_instant_no_database_holds_is_refused_by_both() -> None:
    body = orjson.dumps([{**LINE, "occurred_at": "0001-01-01T00:00:00+01:00"}])
    with pytest.raises(ValidationError, match="occurred_at_out_of_range"):
        MODELS.validate_json(body)
    [fields] = valid_fields(body) or []
    with pytest.raises(ValueError, match="before 1900-01-01"):
        stored_instant(fields["occurred_at"])
    assert not stored_instants([fields])
    late = {**fields, "occurred_at": datetime(2300, 1, 1, tzinfo=UTC)}
    assert not stored_instants([late])
    assert stored_instants([{**late, "occurred_at": STORED_LAST}])


@settings(max_examples=1000, deadline=None)
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
