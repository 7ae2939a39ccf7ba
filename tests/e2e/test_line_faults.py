"""A bad line costs only itself, through the real gateway, broker and chdb: the other lines of
its request are accepted, it is named by line, field and code and kept as a dead letter; a
producer writing such lines straight to the raw topic gets them dead-lettered, and the worker
goes on."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import pytest
from aiokafka import AIOKafkaProducer

from tests.support.factories import sync_line
from tests.support.pipeline import Pipeline, wait_until
from tests.support.readers import report_items

pytestmark = pytest.mark.pipeline

DOTNET_MIN = "0001-01-01T00:00:00+01:00"  # DateTime.MinValue with a local offset: year 0 in UTC


def _deep(line: dict[str, Any], depth: int) -> bytes:
    return (
        orjson.dumps(line)[:-1] + b',"attributes":' + b'{"a":' * depth + b"1" + b"}" * depth + b"}"
    )


def _letters(pipeline: Pipeline, licence_id: str, expected: int) -> list[dict[str, Any]]:
    token = (pipeline.data_dir / "operator.token").read_text().strip()
    with httpx.Client(
        base_url=pipeline.url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as operator:

        def listed() -> list[dict[str, Any]] | None:
            answer = operator.get("/v1/admin/dead-letters", params={"licence_id": licence_id})
            letters: list[dict[str, Any]] = answer.json()
            return letters if len(letters) >= expected else None

        return wait_until(listed, timeout=30)


def test_bad_lines_of_a_batch_are_rejected_one_by_one_and_the_others_accepted(
    pipeline: Pipeline,
) -> None:
    licence = pipeline.create_licence("sloppy .NET connector")
    good = [sync_line(message=f"bonne ligne {n}") for n in range(3)]
    body = (
        b"["
        + b",".join(
            [
                orjson.dumps(good[0]),
                orjson.dumps(sync_line(occurred_at=DOTNET_MIN)),  # line 2
                orjson.dumps(good[1]),
                orjson.dumps(sync_line(occurred_at="9999-12-31T23:59:59-01:00")),  # line 4
                _deep(sync_line(), 300),  # line 5
                _deep(sync_line(), 5000),  # line 6: deeper than any JSON decoder goes
                orjson.dumps(good[2]),
                orjson.dumps(good[0] | {"message": "même id que la ligne 1"}),  # line 8
            ]
        )
        + b"]"
    )
    with pipeline.client(licence.connector_key) as connector:
        answer = connector.post("/v1/events", content=body)
    assert answer.status_code == 202, answer.text
    result = answer.json()
    assert result["accepted"] == 3
    assert {
        reject["line"]: [(e["field"], e["code"]) for e in reject["errors"]]
        for reject in result["rejected"]
    } == {
        2: [("occurred_at", "occurred_at_out_of_range")],
        4: [("occurred_at", "occurred_at_out_of_range")],
        5: [("attributes", "too_deep")],
        6: [("attributes", "too_deep")],
    }
    assert all(e["reason"] and e["reason_fr"] for r in result["rejected"] for e in r["errors"])
    [duplicate] = result["duplicates"]
    assert (duplicate["line"], duplicate["duplicate_of"], duplicate["code"]) == (
        8,
        1,
        "duplicate_event_id",
    )
    assert duplicate["event_id"] == good[0]["event_id"]

    letters = _letters(pipeline, licence.licence_id, expected=4)
    assert sorted(letter["reason"].split(":")[0] for letter in letters) == [
        "attributes",
        "attributes",
        "occurred_at",
        "occurred_at",
    ]
    with pipeline.client(licence.reader_token) as reader:
        stored = wait_until(lambda: items if len(items := report_items(reader)) >= 3 else None)
    assert sorted(item["message"] for item in stored) == [f"bonne ligne {n}" for n in range(3)]


def test_a_direct_producers_bad_records_are_dead_lettered_and_the_worker_goes_on(
    pipeline: Pipeline,
) -> None:
    licence = pipeline.create_licence("direct producer, bad dates")
    now = datetime.now(UTC).isoformat()

    def record(received_at: str, *lines: bytes) -> bytes:
        head = orjson.dumps({"licence_id": licence.licence_id, "received_at": received_at})
        return head[:-1] + b',"events":[' + b",".join(lines) + b"]}"

    good = sync_line(message="Commande 0042 importée")
    values = [
        record(now, orjson.dumps(sync_line(occurred_at=DOTNET_MIN))),
        record(DOTNET_MIN, orjson.dumps(sync_line())),
        record("2026-12-01T10:00:00", orjson.dumps(sync_line())),  # no offset
        record(now, _deep(sync_line(), 300)),
        record(now, orjson.dumps(good)),
    ]

    async def produce() -> None:
        producer = AIOKafkaProducer(
            bootstrap_servers=pipeline.runtime["kafka_bootstrap"], acks="all"
        )
        await producer.start()
        try:
            for value in values:
                await producer.send_and_wait(
                    "ero.events.raw", value, key=licence.licence_id.encode()
                )
        finally:
            await producer.stop()

    asyncio.run(produce())
    with pipeline.client(licence.reader_token) as reader:
        stored = wait_until(lambda: report_items(reader), timeout=30)
    assert [item["event_id"] for item in stored] == [good["event_id"]]
    letters = _letters(pipeline, licence.licence_id, expected=4)
    reasons = sorted(letter["reason"].split(":")[0] for letter in letters)
    assert reasons == ["(event)", "events.0.occurred_at", "received_at", "received_at"]
    assert httpx.get(f"{pipeline.url}/healthz", timeout=5).status_code == 200
