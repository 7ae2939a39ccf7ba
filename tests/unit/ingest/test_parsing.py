from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from ingest.parsing import MalformedBody, TimeBounds, TooManyEvents, identified, parse_body
from tests.support.factories import sync_line

BOUNDS = TimeBounds(retention_days=90, max_future_skew_hours=24)


def line(**overrides: object) -> dict[str, object]:
    return sync_line(event_id=None) | overrides


def test_ndjson_lines_are_numbered_physically_and_blank_lines_skipped() -> None:
    body = b"\n".join(
        [orjson.dumps(line()), b"", b"  ", orjson.dumps(line(operation="")), orjson.dumps(line())]
    )
    parsed = parse_body(body, ndjson=True, max_events=10, bounds=BOUNDS)
    assert len(parsed.events) == 2
    assert [(r.line, [e.field for e in r.errors]) for r in parsed.rejects] == [(4, ["operation"])]
    assert orjson.loads(parsed.rejects[0].raw)["operation"] == ""


def test_an_all_valid_array_reads_as_its_lines_do() -> None:
    lines = [line(message=f"ligne {i}", connector_id=f" shop-{i} ") for i in range(5)]
    whole = parse_body(orjson.dumps(lines), ndjson=False, max_events=10, bounds=BOUNDS)
    by_line = parse_body(
        b"\n".join(orjson.dumps(x) for x in lines), ndjson=True, max_events=10, bounds=BOUNDS
    )
    assert whole.events == by_line.events
    assert whole.rejects == by_line.rejects == []


def test_json_array_positions_are_one_based() -> None:
    body = orjson.dumps([line(), line(message=""), {"nothing": 1}])
    parsed = parse_body(body, ndjson=False, max_events=10, bounds=BOUNDS)
    assert [r.line for r in parsed.rejects] == [2, 3]
    fields = {e.field for e in parsed.rejects[1].errors}
    assert {"connector_id", "occurred_at", "operation", "message", "nothing"} <= fields


@pytest.mark.parametrize(
    ("shift", "reason"),
    [(timedelta(hours=25), "future"), (timedelta(days=-91), "retention")],
)
def test_implausible_timestamps_are_rejected_with_the_reason(shift: timedelta, reason: str) -> None:
    body = orjson.dumps([line(occurred_at=(datetime.now(UTC) + shift).isoformat())])
    parsed = parse_body(body, ndjson=False, max_events=10, bounds=BOUNDS)
    assert reason in parsed.rejects[0].errors[0].reason


def test_a_body_that_is_not_an_array_is_malformed() -> None:
    with pytest.raises(MalformedBody, match="JSON array"):
        parse_body(orjson.dumps(line()), ndjson=False, max_events=10, bounds=BOUNDS)
    with pytest.raises(MalformedBody, match="not valid JSON"):
        parse_body(b"[{", ndjson=False, max_events=10, bounds=BOUNDS)


def test_too_many_events_names_the_limit() -> None:
    with pytest.raises(TooManyEvents, match="at most 2 events"):
        parse_body(orjson.dumps([line()] * 3), ndjson=False, max_events=2, bounds=BOUNDS)


def _nested(depth: int) -> bytes:
    return b'{"a":' * depth + b'"x"' + b"}" * depth


def _lines(middle: bytes, ndjson: bool) -> bytes:
    """A good line, `middle` (the JSON text of line 2), a good line: as NDJSON or an array."""
    good = orjson.dumps(line())
    return (
        b"\n".join([good, middle, good])
        if ndjson
        else b"[" + b",".join([good, middle, good]) + b"]"
    )


@pytest.mark.parametrize("ndjson", [False, True])
@pytest.mark.parametrize(
    "occurred_at",
    [
        "0001-01-01T00:00:00+01:00",  # .NET's DateTime.MinValue with a local offset: year 0 in UTC
        "9999-12-31T23:59:59-01:00",  # DateTime.MaxValue likewise: year 10000
        "1899-12-31T23:59:59Z",
        "2300-01-01T00:00:00Z",
    ],
)
def test_a_date_no_database_can_store_is_that_lines_reject(occurred_at: str, ndjson: bool) -> None:
    body = _lines(orjson.dumps(line(occurred_at=occurred_at)), ndjson)
    parsed = parse_body(body, ndjson=ndjson, max_events=10, bounds=BOUNDS)
    assert len(parsed.events) == 2
    [reject] = parsed.rejects
    [error] = reject.errors
    assert (reject.line, error.field, error.code) == (2, "occurred_at", "occurred_at_out_of_range")
    assert "1900-01-01" in error.reason
    assert "01/01/1900" in error.reason_fr


@pytest.mark.parametrize("ndjson", [False, True])
@pytest.mark.parametrize("depth", [9, 300, 5000])
def test_attributes_nested_too_deep_are_that_lines_reject_kept_as_sent(
    depth: int, ndjson: bool
) -> None:
    deep = orjson.dumps(line())[:-1] + b',"attributes":' + _nested(depth - 1) + b"}"
    parsed = parse_body(_lines(deep, ndjson), ndjson=ndjson, max_events=10, bounds=BOUNDS)
    assert len(parsed.events) == 2
    [reject] = parsed.rejects
    assert [(e.field, e.code) for e in reject.errors] == [("attributes", "too_deep")]
    assert reject.raw.encode() == deep


def test_a_line_within_the_depth_limit_is_read_and_judged_by_its_fields() -> None:
    shallow = orjson.dumps(line())[:-1] + b',"attributes":' + _nested(7) + b"}"
    parsed = parse_body(_lines(shallow, True), ndjson=True, max_events=10, bounds=BOUNDS)
    assert [(e.field, e.code) for e in parsed.rejects[0].errors] == [
        ("attributes.a", "string_type")
    ]


def test_a_broken_line_inside_an_array_is_that_lines_reject() -> None:
    parsed = parse_body(
        _lines(b'{"connector_id": }', False), ndjson=False, max_events=10, bounds=BOUNDS
    )
    assert len(parsed.events) == 2
    assert [(r.line, r.errors[0].code) for r in parsed.rejects] == [(2, "not_json")]


def test_every_reject_has_a_code_and_a_french_reason() -> None:
    body = orjson.dumps([line(message=""), {"nothing": 1}, line(duration_ms=-1), 7])
    parsed = parse_body(body, ndjson=False, max_events=10, bounds=BOUNDS)
    errors = [error for reject in parsed.rejects for error in reject.errors]
    assert len(parsed.rejects) == 4
    assert all(error.code and error.reason and error.reason_fr for error in errors)
    assert {"missing", "extra_forbidden", "string_too_short", "greater_than_equal"} <= {
        error.code for error in errors
    }


def test_a_repeated_event_id_is_a_duplicate_of_its_first_line() -> None:
    shared = line(event_id=str(uuid.uuid4()), message="première")
    same_content = line(message="sans id")  # identical lines without an id: one derived id
    body = orjson.dumps([shared, same_content, shared | {"message": "seconde"}, same_content])
    events, duplicates = identified(
        parse_body(body, ndjson=False, max_events=10, bounds=BOUNDS), "L1"
    )
    assert [event["message"] for event in events] == ["première", "sans id"]
    assert [(d.line, d.of_line) for d in duplicates] == [(3, 1), (4, 2)]
    assert duplicates[0].event_id == uuid.UUID(str(shared["event_id"]))


@pytest.mark.parametrize(
    "occurred_at",
    [
        "0001-01-01T00:30:00+01:00",  # before year 1 in UTC
        "1899-12-31T23:59:59.999+00:00",
        "2299-12-31T23:59:59.9999+00:00",
        "9999-12-31T23:30:00-01:00",  # after 9999 in UTC
    ],
)
def test_an_array_judges_instants_no_database_holds_as_its_lines_do(occurred_at: str) -> None:
    bounds = TimeBounds(retention_days=365_000, max_future_skew_hours=24 * 365_000)
    lines = [line(message="ok"), line(occurred_at=occurred_at)]
    whole = parse_body(orjson.dumps(lines), ndjson=False, max_events=10, bounds=bounds)
    by_line = parse_body(
        b"\n".join(orjson.dumps(x) for x in lines), ndjson=True, max_events=10, bounds=bounds
    )
    assert whole.events == by_line.events
    assert [(r.line, r.errors) for r in whole.rejects] == [
        (r.line, r.errors) for r in by_line.rejects
    ]
