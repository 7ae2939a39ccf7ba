from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest

from ingest.parsing import MalformedBody, TimeBounds, TooManyEvents, parse_body
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
