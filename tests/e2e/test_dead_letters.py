"""Dead letters end to end: rejected lines are kept queryable, and replayed after a fix."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from schemas import DeadLetter, FieldError
from tests.support.factories import sync_line
from tests.support.kafka import produce
from tests.support.pipeline import Pipeline, wait_until

pytestmark = pytest.mark.pipeline

LETTER_ID = re.compile(r"^([0-9a-f-]{36})\s", re.MULTILINE)


def ndjson(*lines: dict[str, Any]) -> bytes:
    return b"\n".join(orjson.dumps(line) for line in lines)


def reported(reader: httpx.Client, event_id: str) -> list[dict[str, Any]]:
    page = reader.get("/v1/reports", params={"limit": 500}).json()["items"]
    return [item for item in page if item["event_id"] == event_id]


def letters_of(pipeline: Pipeline, licence_id: str, *extra: str) -> list[str]:
    listed = pipeline.ero("dlq", "list", "--licence", licence_id, *extra)
    assert listed.returncode == 0, listed.stderr
    return LETTER_ID.findall(listed.stdout)


def test_rejected_lines_are_kept_and_replayed_once_fixed(pipeline: Pipeline) -> None:
    licence = pipeline.create_licence("dead letters")
    still_invalid = sync_line(connector_id="shop-dlq", message=None)
    with pipeline.client(licence.connector_key) as connector:
        answer = connector.post(
            "/v1/events",
            content=ndjson(sync_line(connector_id="shop-dlq"), still_invalid),
            headers={"Content-Type": "application/x-ndjson"},
        )
    assert answer.status_code == 202, answer.text
    assert answer.json()["accepted"] == 1

    # A v2 line (duration_ms) as a gateway still on v1 refused it before the upgrade: it wrote
    # this dead letter to the same topic. Once v2 is deployed, replay accepts it.
    v2_line = sync_line(connector_id="shop-dlq", message="Stock exporté", duration_ms=4200)
    refused_by_v1 = DeadLetter(
        licence_id=licence.licence_id,
        received_at=datetime.now(UTC),
        source="http",
        line=1,
        raw=orjson.dumps(v2_line).decode(),
        errors=[FieldError(field="duration_ms", reason="Extra inputs are not permitted")],
    )
    produce(
        pipeline.runtime["kafka_bootstrap"],
        "ero.events.dead-letter",
        licence.licence_id.encode(),
        refused_by_v1.model_dump_json().encode(),
    )
    letters = wait_until(lambda: len(letters_of(pipeline, licence.licence_id)) == 2 or None)
    listed = pipeline.ero("dlq", "list", "--licence", licence.licence_id).stdout
    assert "shop-dlq" in listed
    assert "message: Field required" in listed
    assert "duration_ms: Extra inputs are not permitted" in listed
    assert letters

    shown = [
        pipeline.ero("dlq", "show", letter) for letter in letters_of(pipeline, licence.licence_id)
    ]
    assert all(done.returncode == 0 for done in shown), [done.stderr for done in shown]
    assert any(orjson.dumps(v2_line).decode() in done.stdout for done in shown)

    replayed = pipeline.ero("dlq", "replay", "--all", "--licence", licence.licence_id)
    assert replayed.returncode == 0, replayed.stderr
    assert "1 replayed, 1 still refused" in replayed.stdout
    assert "message: Field required" in replayed.stdout

    with pipeline.client(licence.reader_token) as reader:
        items = wait_until(lambda: reported(reader, v2_line["event_id"]))
        assert items[0]["duration_ms"] == 4200
        # Replaying again (everything, the replayed letter included) adds nothing: once a later
        # line is reported, the replayed one is still there exactly once.
        again = pipeline.ero("dlq", "replay", "--all", "--licence", licence.licence_id)
        assert "0 replayed, 1 still refused" in again.stdout, again.stdout + again.stderr
        sentinel = sync_line(connector_id="shop-dlq", message="Commande 9 importée")
        with pipeline.client(licence.connector_key) as connector:
            assert connector.post("/v1/events", json=[sentinel]).status_code == 202
        wait_until(lambda: reported(reader, sentinel["event_id"]))
        assert len(reported(reader, v2_line["event_id"])) == 1

    pending = letters_of(pipeline, licence.licence_id, "--status", "pending")
    assert len(pending) == 1
    kept = pipeline.ero("dlq", "show", pending[0], "--json")
    letter = orjson.loads(kept.stdout)
    assert letter["status"] == "pending"
    assert letter["connector_id"] == "shop-dlq"
    assert orjson.loads(letter["raw"]) == still_invalid


def test_a_record_no_one_can_read_is_kept_too(pipeline: Pipeline) -> None:
    # JSON (other readers of the topic decode every record), yet not a dead letter.
    licence_id = str(uuid.uuid4())  # a licence id, as `ero dlq list --licence` requires
    not_a_letter = orjson.dumps({"licence_id": licence_id, "note": "written by hand"})
    bootstrap = pipeline.runtime["kafka_bootstrap"]
    produce(bootstrap, "ero.events.dead-letter", licence_id.encode(), not_a_letter)
    letters = wait_until(lambda: letters_of(pipeline, licence_id))
    shown = orjson.loads(pipeline.ero("dlq", "show", letters[0], "--json").stdout)
    assert shown["raw"] == not_a_letter.decode()
    assert shown["source"].startswith("kafka:ero.events.dead-letter/")
    assert {reason["field"] for reason in shown["reasons"]} >= {"received_at", "source"}


def test_without_a_running_api_the_cli_works_in_process(tmp_path: Path) -> None:
    offline = Pipeline(tmp_path, ERO_API_URL="http://127.0.0.1:9")
    listed = offline.ero("dlq", "list")
    assert listed.returncode == 0, listed.stderr
    assert "(0 shown; 0 pending, 0 replayed in all)" in listed.stdout
    unknown = str(uuid.uuid4())
    shown = offline.ero("dlq", "show", unknown)
    assert (shown.returncode, shown.stderr.strip()) == (
        2,
        f"ero: error: no dead letter {unknown}: list them with `ero dlq list`",
    )
    bad = offline.ero("dlq", "replay")
    assert bad.returncode == 2
    assert bad.stderr.count("\n") == 1, bad.stderr


def test_replaying_many_letters_goes_in_chunks_with_progress(pipeline: Pipeline) -> None:
    licence = pipeline.create_licence("many dead letters")
    lines = [sync_line(connector_id="shop-many", message=None) for _ in range(250)]
    with pipeline.client(licence.connector_key) as connector:
        answer = connector.post("/v1/events", json=lines)
    assert len(answer.json()["rejected"]) == 250
    wait_until(
        lambda: len(letters_of(pipeline, licence.licence_id, "--limit", "1000")) == 250 or None
    )
    replayed = pipeline.ero("dlq", "replay", "--all", "--licence", licence.licence_id)
    assert replayed.returncode == 0, replayed.stderr
    assert replayed.stderr.endswith("replaying 250/250 letters\n")
    assert "replaying 100/250" in replayed.stderr
    assert replayed.stdout.count("still refused  ") == 20
    assert "... and 230 more: `ero dlq list --status pending`" in replayed.stdout
    assert replayed.stdout.endswith(
        "0 replayed, 250 still refused (they stay, with the new reasons)\n"
    )
