"""The whole pipeline through the real broker and the real ClickHouse engine."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from licences import Credentials
from schemas.records import SEAL_HEADER
from tests.support.factories import corpus_events, sync_line, without_expectations
from tests.support.pipeline import Pipeline, wait_until
from tests.support.readers import dashboard_total, report_items

pytestmark = pytest.mark.pipeline


def ndjson(events: list[dict[str, Any]]) -> bytes:
    return b"\n".join(orjson.dumps(event) for event in without_expectations(events))


class Loaded:
    def __init__(self, licence: Credentials, events: list[dict[str, Any]]) -> None:
        self.licence = licence
        self.events = events


@pytest.fixture(scope="module")
def loaded(pipeline: Pipeline, corpus_path: Path) -> Loaded:
    """A licence with the shared corpus posted as NDJSON and projected."""
    licence = pipeline.create_licence("corpus shop")
    events = corpus_events(corpus_path)
    with pipeline.client(licence.connector_key) as connector:
        response = connector.post(
            "/v1/events", content=ndjson(events), headers={"Content-Type": "application/x-ndjson"}
        )
    assert response.status_code == 202, response.text
    assert response.json() == {"accepted": len(events), "rejected": [], "duplicates": []}
    with pipeline.client(licence.reader_token) as reader:
        wait_until(lambda: len(report_items(reader, limit=7)) == len(events))
        # Each rollup's part is committed after the events': the dashboard's counts a moment later.
        wait_until(lambda: dashboard_total(reader) == len(events))
    return Loaded(licence, events)


def test_every_posted_line_is_reported_classified(pipeline: Pipeline, loaded: Loaded) -> None:
    with pipeline.client(loaded.licence.reader_token) as reader:
        items = {item["event_id"]: item for item in report_items(reader, limit=7)}
    assert set(items) == {event["event_id"] for event in loaded.events}
    linked: set[str] = set()
    for event in loaded.events:
        item = items[event["event_id"]]
        expected = event["expected"]
        assert (item["level"], item["origin"], item["remediation"]["action"]) == (
            expected["level"],
            expected["origin"],
            expected["action"],
        ), item["message"]
        for field in (
            "connector_id",
            "operation",
            "reference",
            "status",
            "code",
            "message",
            "sync_id",
        ):
            assert item[field] == event[field]
        if item["level"] != "success":
            assert item["remediation"]["hint"]
            # ERO serves the knowledge base itself (no ERO_KB_BASE_URL in the suite).
            assert item["remediation"]["url"].startswith(f"{pipeline.url}/aide/")
            linked.add(item["remediation"]["url"])
    for url in sorted(linked):
        article = httpx.get(url, timeout=30)
        assert article.status_code == 200, url


def test_reports_are_newest_first_and_pages_never_repeat(
    pipeline: Pipeline, loaded: Loaded
) -> None:
    with pipeline.client(loaded.licence.reader_token) as reader:
        items = report_items(reader, limit=7)
    keys = [(item["occurred_at"], item["event_id"]) for item in items]
    assert keys == sorted(keys, reverse=True)
    assert len(set(keys)) == len(keys) == len(loaded.events)


def test_dashboard_counts_match_the_corpus_and_link_to_their_reports(
    pipeline: Pipeline, loaded: Loaded
) -> None:
    expected = Counter(event["expected"]["level"] for event in loaded.events)
    with pipeline.client(loaded.licence.reader_token) as reader:
        dashboard = reader.get("/v1/dashboard").json()
        assert {level: c["count"] for level, c in dashboard["levels"].items()} == {
            level: expected[level] for level in ("success", "alert", "error")
        }
        per_connector = Counter(
            (event["connector_id"], event["expected"]["level"]) for event in loaded.events
        )
        assert {c["connector_id"] for c in dashboard["connectors"]} == {"shop-a", "shop-b"}
        for connector in dashboard["connectors"]:
            newest = max(
                datetime.fromisoformat(e["occurred_at"])
                for e in loaded.events
                if e["connector_id"] == connector["connector_id"]
            )
            assert datetime.fromisoformat(connector["last_event_at"]) == newest
            for level, count in connector["levels"].items():
                assert count["count"] == per_connector[(connector["connector_id"], level)]
                linked = report_items(
                    reader, limit=7, **dict(httpx.URL(count["report_url"]).params.multi_items())
                )
                assert len(linked) == count["count"]
                assert {i["level"] for i in linked} <= {level}
                assert {i["connector_id"] for i in linked} <= {connector["connector_id"]}


@pytest.mark.parametrize(
    ("params", "predicate"),
    [
        ({"level": "error"}, lambda e: e["expected"]["level"] == "error"),
        ({"level": ["alert", "error"]}, lambda e: e["expected"]["level"] != "success"),
        ({"origin": "erp"}, lambda e: e["expected"]["origin"] == "erp"),
        ({"connector_id": "shop-b"}, lambda e: e["connector_id"] == "shop-b"),
        ({"operation": "price.export"}, lambda e: e["operation"] == "price.export"),
        ({"reference": "REF-007"}, lambda e: e["reference"] == "REF-007"),
        ({"q": "ECART de tva"}, lambda e: "Écart de TVA" in e["message"]),
        (
            {"q": "gestion commerciale", "level": "error", "origin": "erp"},
            lambda e: (
                "gestion commerciale" in e["message"]
                and e["expected"]["level"] == "error"
                and e["expected"]["origin"] == "erp"
            ),
        ),
    ],
)
def test_filters_select_exactly_the_matching_events(
    pipeline: Pipeline, loaded: Loaded, params: dict[str, Any], predicate: Any
) -> None:
    wanted = {event["event_id"] for event in loaded.events if predicate(event)}
    assert wanted, "a filter case must select something"
    with pipeline.client(loaded.licence.reader_token) as reader:
        got = {item["event_id"] for item in report_items(reader, limit=7, **params)}
    assert got == wanted


def test_time_range_filter(pipeline: Pipeline, loaded: Loaded) -> None:
    times = sorted(datetime.fromisoformat(e["occurred_at"]) for e in loaded.events)
    since, until = times[5], times[20]
    wanted = {
        e["event_id"]
        for e in loaded.events
        if since <= datetime.fromisoformat(e["occurred_at"]) < until
    }
    with pipeline.client(loaded.licence.reader_token) as reader:
        got = {
            i["event_id"]
            for i in report_items(reader, limit=7, since=since.isoformat(), until=until.isoformat())
        }
    assert got == wanted
    assert len(got) == 15


def test_one_licence_never_sees_or_touches_another(pipeline: Pipeline, loaded: Loaded) -> None:
    other = pipeline.create_licence("other shop")
    with pipeline.client(other.reader_token) as reader:
        assert report_items(reader, limit=7) == []
        assert all(c["count"] == 0 for c in reader.get("/v1/dashboard").json()["levels"].values())
        for event in loaded.events[:3]:
            assert report_items(reader, limit=7, reference=event["reference"]) == []
        trends = reader.get("/v1/trends", params={"window": "24h"}).json()
        assert all(p["count"] == 0 for points in trends["series"].values() for p in points)
        exported = reader.get("/v1/reports/export", params={"format": "ndjson"}).text
        assert exported.count("\n") == 1  # the header line only
    # The other licence's connector writes: it lands in its own licence only.
    event = without_expectations(loaded.events[:1])[0] | {"event_id": str(uuid.uuid4())}
    with pipeline.client(other.connector_key) as connector:
        assert connector.post("/v1/events", json=[event]).status_code == 202
    with pipeline.client(other.reader_token) as reader:
        wait_until(lambda: len(report_items(reader, limit=7)) == 1)
    with pipeline.client(loaded.licence.reader_token) as reader:
        assert event["event_id"] not in {i["event_id"] for i in report_items(reader, limit=7)}
    # Keys are not interchangeable: a connector key cannot read, a reader token cannot write.
    with pipeline.client(loaded.licence.connector_key) as connector:
        assert connector.get("/v1/reports").status_code == 403
    with pipeline.client(loaded.licence.reader_token) as reader:
        assert reader.post("/v1/events", json=[event]).status_code == 403


@pytest.mark.parametrize(
    "path", ["/v1/events", "/v1/reports", "/v1/dashboard", "/v1/trends", "/v1/reports/export"]
)
def test_unknown_or_missing_key_is_401(pipeline: Pipeline, path: str) -> None:
    method = "POST" if path == "/v1/events" else "GET"
    unknown = httpx.request(
        method, pipeline.url + path, headers={"Authorization": "Bearer eck_nope"}, json=[]
    )
    missing = httpx.request(method, pipeline.url + path, json=[])
    for response in (unknown, missing):
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert response.json()["detail"]


def a_line(**overrides: Any) -> dict[str, Any]:
    return sync_line(connector_id="shop-z", event_id=None) | overrides


def test_too_many_events_or_bytes_is_413_with_the_limit(pipeline: Pipeline) -> None:
    licence = pipeline.create_licence("big batches")
    with pipeline.client(licence.connector_key) as connector:
        too_many = connector.post("/v1/events", json=[a_line()] * 2001)
        assert too_many.status_code == 413
        assert "2000" in too_many.json()["detail"]["en"]
        too_big = connector.post("/v1/events", json=[a_line(message="x" * 10_000)] * 120)
        assert too_big.status_code == 413
        assert "1024 KiB" in too_big.json()["detail"]["en"]  # the body limit, named
    with pipeline.client(licence.reader_token) as reader:
        assert report_items(reader, limit=7) == []


def read_topic(bootstrap: str, topic: str) -> list[dict[str, Any]]:
    async def read() -> list[dict[str, Any]]:
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
        await consumer.start()
        try:
            await consumer.topics()  # fetch metadata for every topic
            partitions = [
                TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []
            ]
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            ends = await consumer.end_offsets(partitions)
            letters: list[dict[str, Any]] = []

            async def behind() -> bool:
                return any([await consumer.position(tp) < ends[tp] for tp in partitions])

            while await behind():
                for records in (await consumer.getmany(timeout_ms=1000)).values():
                    letters += [orjson.loads(record.value) for record in records]
            return letters
        finally:
            await consumer.stop()

    return asyncio.run(read())


def test_bad_lines_are_rejected_by_line_and_field_and_kept_on_the_dead_letter_topic(
    pipeline: Pipeline,
) -> None:
    licence = pipeline.create_licence("sloppy connector")
    good = [a_line(event_id=str(uuid.uuid4()), message=f"ligne {i}") for i in range(3)]
    body = b"\n".join(
        [
            orjson.dumps(good[0]),
            orjson.dumps(a_line(occurred_at="hier")),  # line 2: bad timestamp
            b"",  # blank lines are skipped, numbering is physical
            orjson.dumps(good[1]),
            b"{not json",  # line 5
            orjson.dumps({k: v for k, v in a_line().items() if k != "connector_id"}),  # line 6
            orjson.dumps(good[2]),
        ]
    )
    with pipeline.client(licence.connector_key) as connector:
        response = connector.post(
            "/v1/events", content=body, headers={"Content-Type": "application/x-ndjson"}
        )
    assert response.status_code == 202, response.text
    result = response.json()
    assert result["accepted"] == 3
    rejected = {r["line"]: {e["field"] for e in r["errors"]} for r in result["rejected"]}
    assert rejected == {2: {"occurred_at"}, 5: {"(line)"}, 6: {"connector_id"}}

    letters = [
        letter
        for letter in read_topic(pipeline.runtime["kafka_bootstrap"], "ero.events.dead-letter")
        if letter["licence_id"] == licence.licence_id
    ]
    assert {
        letter["line"]: {e["field"] for e in letter["errors"]} for letter in letters
    } == rejected
    assert all(letter["raw"] and letter["source"] == "http" for letter in letters)
    with pipeline.client(licence.reader_token) as reader:
        wait_until(
            lambda: (
                {i["event_id"] for i in report_items(reader, limit=7)}
                == {g["event_id"] for g in good}
            )
        )


def test_records_of_a_direct_producer_are_stored_once_classified_on_the_feed_or_dead_lettered(
    pipeline: Pipeline,
) -> None:
    """A connector producing straight to Kafka: one event per record, no event_id, a record sent
    twice, and a record that is not a SyncEvent batch (with a forged gateway seal)."""
    licence = pipeline.create_licence("direct producer")
    bootstrap = pipeline.runtime["kafka_bootstrap"]
    received_at = datetime.now(UTC).isoformat()
    lines = [
        a_line(message="Commande 0001 importée", status="ok"),
        a_line(message="Article ABC-1 absent de la gestion commerciale", status="erreur"),
    ]
    records = [
        orjson.dumps(
            {"licence_id": licence.licence_id, "received_at": received_at, "events": [line]}
        )
        for line in lines
    ]
    unreadable = orjson.dumps({"licence_id": licence.licence_id, "events": [{"message": "?"}]})

    async def produce() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
        await producer.start()
        try:
            for value in [*records, records[0], unreadable]:  # the first one twice
                # A seal it cannot have (the key is the gateway's) spares nothing validation.
                forged = [(SEAL_HEADER, b"0" * 16)] if value is unreadable else []
                await producer.send_and_wait(
                    "ero.events.raw", value, key=licence.licence_id.encode(), headers=forged
                )
        finally:
            await producer.stop()

    asyncio.run(produce())
    with pipeline.client(licence.reader_token) as reader:
        wait_until(lambda: len(report_items(reader, limit=7)) == 2)
        items = report_items(reader, limit=7)
        assert sorted(item["level"] for item in items) == ["error", "success"]

        def feed() -> list[dict[str, Any]]:
            return [
                event
                for record in read_topic(bootstrap, "ero.events.classified")
                if record["licence_id"] == licence.licence_id
                for event in record["events"]
            ]

        wait_until(lambda: len(feed()) >= 2)
        classified = feed()
        assert {event["event_id"] for event in classified} == {item["event_id"] for item in items}
        error = next(event for event in classified if event["level"] == "error")
        assert error["origin"] == "erp"
        assert error["remediation"]["hint"]
        assert datetime.fromisoformat(error["received_at"]) == datetime.fromisoformat(received_at)

        letters = [
            letter
            for letter in read_topic(bootstrap, "ero.events.dead-letter")
            if letter["licence_id"] == licence.licence_id
        ]
        assert len(letters) == 1
        assert letters[0]["source"].startswith("kafka:ero.events.raw/")
        assert {error["field"] for error in letters[0]["errors"]} >= {"received_at"}
        assert orjson.loads(letters[0]["raw"]) == orjson.loads(unreadable)
        # The dead letter came after the repeated record: the repeat is behind us, and was absorbed.
        assert len(report_items(reader, limit=7)) == 2


def test_a_resent_event_is_counted_once(pipeline: Pipeline) -> None:
    licence = pipeline.create_licence("retrying connector")
    with_ids = [a_line(event_id=str(uuid.uuid4()), message=f"avec id {i}") for i in range(5)]
    without_ids = [a_line(message=f"sans id {i}") for i in range(5)]
    with pipeline.client(licence.connector_key) as connector:
        for _ in range(3):  # a connector retrying the same batch
            assert connector.post("/v1/events", json=with_ids + without_ids).status_code == 202
        marker = a_line(event_id=str(uuid.uuid4()), message="dernier")
        assert connector.post("/v1/events", json=[marker]).status_code == 202
    with pipeline.client(licence.reader_token) as reader:
        wait_until(
            lambda: marker["event_id"] in {i["event_id"] for i in report_items(reader, limit=7)}
        )
        items = report_items(reader, limit=7)
        wait_until(lambda: dashboard_total(reader) >= 11)
        dashboard = reader.get("/v1/dashboard").json()
    assert len(items) == 11
    assert sorted(i["message"] for i in items) == sorted(
        e["message"] for e in [*with_ids, *without_ids, marker]
    )
    assert dashboard["levels"]["success"]["count"] == 11


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"level": "fatal"}, "level"),
        ({"origin": "shop"}, "origin"),
        ({"limit": 100_000}, "limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"}, "until"),
        ({"since": "yesterday"}, "since"),
    ],
)
def test_bad_report_parameters_are_422_naming_the_parameter(
    pipeline: Pipeline, loaded: Loaded, params: dict[str, Any], name: str
) -> None:
    with pipeline.client(loaded.licence.reader_token) as reader:
        response = reader.get("/v1/reports", params=params)
    assert response.status_code == 422
    assert any(error["loc"][1] == name for error in response.json()["detail"]), response.text
