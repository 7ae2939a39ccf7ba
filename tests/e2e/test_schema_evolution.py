"""SyncEvent v1 and v2 in the same raw topic, end to end."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from tests.support.factories import sync_line
from tests.support.kafka import produce
from tests.support.pipeline import Pipeline, wait_until

pytestmark = pytest.mark.pipeline


def test_v1_and_v2_events_mix_in_one_topic(pipeline: Pipeline) -> None:
    licence = pipeline.create_licence("schema evolution")
    v1 = [sync_line(connector_id="shop-v1", message=f"Commande {n} importée") for n in range(3)]
    v2 = [
        sync_line(connector_id="shop-v2", message=f"Stock exporté ({n})", duration_ms=1000 * n)
        for n in range(3)
    ]
    # A record the gateway wrote before v2 existed: still in the topic when workers upgrade.
    before_v2 = sync_line(connector_id="shop-v1", message="Client 7 importé")
    old_record = {
        "licence_id": licence.licence_id,
        "received_at": datetime.now(UTC).isoformat(),
        "events": [before_v2],
    }
    produce(
        pipeline.runtime["kafka_bootstrap"],
        "ero.events.raw",
        licence.licence_id.encode(),
        orjson.dumps(old_record),
    )
    mixed = [line for pair in zip(v1, v2, strict=True) for line in pair]
    with pipeline.client(licence.connector_key) as connector:
        answer = connector.post("/v1/events", json=mixed)
    assert answer.json() == {"accepted": 6, "rejected": [], "duplicates": []}

    with pipeline.client(licence.reader_token) as reader:

        def all_seven() -> list[dict[str, object]] | None:
            items: list[dict[str, object]] = reader.get("/v1/reports").json()["items"]
            return items if len(items) == 7 else None

        items = wait_until(all_seven)
        durations = {item["event_id"]: item["duration_ms"] for item in items}
        assert durations == {
            **{line["event_id"]: None for line in [*v1, before_v2]},
            **{line["event_id"]: line["duration_ms"] for line in v2},
        }
        csv = reader.get("/v1/reports/export", params={"connector_id": "shop-v2"}).text
    header, *rows = csv.splitlines()[1:]
    column = header.split(",").index("duration_ms")
    assert sorted(row.split(",")[column] for row in rows) == ["0", "1000", "2000"]
