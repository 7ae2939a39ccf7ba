"""The dead-letter desk on a real chdb: what replay re-validates, appends and records."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from dead_letters.desk import DeadLetterDesk
from dead_letters.store import DeadLetterStore, LetterStatus, connector_of, letter_id, stored
from infra.clickhouse import ClickHouse
from ingest.parsing import TimeBounds
from schemas import DeadLetter, FieldError
from schemas.event_fields import EventFields
from tests.support.factories import sync_line


class RecordingLog:
    """The EventLog seam: what replay appended (the Kafka path is covered end to end)."""

    def __init__(self) -> None:
        self.appended: list[tuple[str, list[EventFields]]] = []

    async def append(
        self,
        licence_id: str,
        received_at: datetime,
        events: Sequence[EventFields],
        dead_letters: Sequence[DeadLetter],
    ) -> None:
        self.appended.append((licence_id, list(events)))


def letter(raw: object, source: str = "http", licence: str | None = None) -> DeadLetter:
    return DeadLetter(
        licence_id=licence or f"L-{uuid.uuid4()}",
        received_at=datetime.now(UTC).replace(microsecond=0),
        source=source,
        line=1,
        raw=raw if isinstance(raw, str) else orjson.dumps(raw).decode(),
        errors=[FieldError(field="duration_ms", reason="Extra inputs are not permitted")],
    )


@pytest.fixture
def desk(clickhouse: ClickHouse) -> tuple[DeadLetterDesk, DeadLetterStore, RecordingLog]:
    store = DeadLetterStore(clickhouse)
    log = RecordingLog()
    return DeadLetterDesk(store, log, TimeBounds(90, 24)), store, log


async def test_a_replayed_letter_is_appended_once(
    desk: tuple[DeadLetterDesk, DeadLetterStore, RecordingLog],
) -> None:
    service, store, log = desk
    line = sync_line(event_id=None, duration_ms=12)
    kept = stored(letter(line))
    store.write([kept])
    first = await service.replay([kept.letter_id])
    again = await service.replay([kept.letter_id])
    assert [o.replayed for o in first.outcomes] == [True]
    assert again.outcomes[0].event_ids == first.outcomes[0].event_ids
    assert len(log.appended) == 1
    licence, events = log.appended[0]
    assert licence == kept.licence_id
    assert events[0]["duration_ms"] == 12
    assert events[0]["event_id"] == first.outcomes[0].event_ids[0]  # derived from the content
    shown = await service.letter(kept.letter_id)
    assert shown is not None
    assert shown.status is LetterStatus.REPLAYED
    assert shown.replayed_at is not None


async def test_a_line_past_retention_stays_with_the_new_reason(
    desk: tuple[DeadLetterDesk, DeadLetterStore, RecordingLog],
) -> None:
    service, store, log = desk
    old = (datetime.now(UTC) - timedelta(days=91)).isoformat()
    kept = stored(letter(sync_line(occurred_at=old)))
    store.write([kept])
    report = await service.replay([kept.letter_id, uuid.uuid4()])
    assert not report.outcomes[0].replayed
    assert "retention" in report.outcomes[0].reasons[0].reason
    assert len(report.unknown) == 1
    assert log.appended == []
    summaries = await service.summaries(kept.licence_id, LetterStatus.PENDING, 10)
    assert [s.reason for s in summaries] == [
        "occurred_at: older than the 90-day retention; it would never show"
    ]


async def test_an_unreadable_raw_record_replays_as_its_events_for_its_own_licence(
    desk: tuple[DeadLetterDesk, DeadLetterStore, RecordingLog],
) -> None:
    service, store, log = desk
    licence = f"L-{uuid.uuid4()}"
    record = {
        "licence_id": licence,
        "received_at": datetime.now(UTC).isoformat(),
        "events": [sync_line(), sync_line(duration_ms=3)],
    }
    own = stored(letter(record, "kafka:ero.events.raw/0@7", licence))
    other = stored(letter(record, "kafka:ero.events.raw/0@8", f"L-{uuid.uuid4()}"))
    store.write([own, other])
    report = await service.replay([own.letter_id, other.letter_id])
    outcomes = {o.letter_id: o for o in report.outcomes}
    assert len(outcomes[own.letter_id].event_ids) == 2
    assert outcomes[other.letter_id].reasons[0].field == "licence_id"
    assert [licence_id for licence_id, _ in log.appended] == [licence]


def test_a_letter_is_identified_by_its_content() -> None:
    first = letter(sync_line(connector_id="shop-9"))
    assert letter_id(first) == letter_id(first.model_copy())
    assert letter_id(first) != letter_id(first.model_copy(update={"line": 2}))
    assert stored(first).connector_id == "shop-9"
    assert connector_of("{not json") == ""
    assert connector_of('{"events": [{"connector_id": " shop-2 "}]}') == "shop-2"
