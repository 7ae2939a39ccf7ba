"""Replay and rebuild through the real broker and chdb: shadow tables swapped in, nothing lost or
doubled, whether the job runs in the pipeline (asked by the CLI) or in the CLI itself."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.support.catalogs import next_catalog
from tests.support.factories import corpus_events, sync_line, without_expectations
from tests.support.pipeline import Pipeline, wait_until
from tests.support.readers import Reader, post
from tests.support.receivers import HookReceiver

pytestmark = pytest.mark.pipeline

QUOTA = "Quota XYZQ dépassé sur le site"


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    """A pipeline of its own: its tables are swapped under it."""
    running = Pipeline(tmp_path_factory.mktemp("replay"), ERO_ALERT_INTERVAL_SECONDS="1").start()
    yield running
    if running.process is not None:
        assert running.stop() == 0


def test_replaying_twice_and_rebuilding_give_identical_reports_and_rollups(
    pipeline: Pipeline, corpus_path: Path
) -> None:
    licence = pipeline.create_licence("replayed shop")
    events = without_expectations(corpus_events(corpus_path))
    post(pipeline, licence, events)
    reader = Reader(pipeline, licence)
    wait_until(lambda: reader.count() == len(events))
    before = reader.snapshot()
    assert before["dashboard"]["top_error_groups"], "the corpus has error groups to rebuild"

    for command in (
        ("replay", "--topic", "raw", "--from-beginning"),
        ("replay", "--topic", "raw", "--from-beginning"),
        ("replay", "--topic", "classified", "--from-beginning"),
        ("rebuild", "--from-archive"),
    ):
        done = pipeline.ero(*command)
        assert done.returncode == 0, done.stderr
        assert "events/s" in done.stderr, "a progress line"
        assert "swapped in sync_events" in done.stdout
        assert reader.snapshot() == before, command


def test_a_raw_replay_reclassifies_with_the_current_rules(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    licence = pipeline.create_licence("reclassified shop")
    line = sync_line(connector_id="c", operation="product.export", status="error", message=QUOTA)
    post(pipeline, licence, [line])
    reader = Reader(pipeline, licence)
    wait_until(lambda: reader.count() == 1)
    assert reader.snapshot()["reports"][0][2] == "fallback.cms"

    catalog, _ = next_catalog(tmp_path)
    assert pipeline.ero("rules", "publish", str(catalog)).returncode == 0
    since = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    # A classified replay projects what was classified: the old rule stays.
    done = pipeline.ero("replay", "--topic", "classified", "--since", since)
    assert done.returncode == 0, done.stderr
    assert reader.snapshot()["reports"][0][2] == "fallback.cms"

    def reclassified() -> bool:  # the catalog reaches ClickHouse through the rules topic
        done = pipeline.ero("replay", "--topic", "raw", "--since", since)
        assert done.returncode == 0, done.stderr
        return bool(reader.snapshot()["reports"][0][2] == "cms.quota_xyzq")

    wait_until(reclassified, timeout=60, every=1)
    snapshot = reader.snapshot()
    assert snapshot["dashboard"]["levels"]["error"]["count"] == 1
    assert [g["rule_id"] for g in snapshot["dashboard"]["top_error_groups"]] == ["cms.quota_xyzq"]


def test_events_accepted_during_a_replay_are_neither_lost_nor_doubled(
    pipeline: Pipeline,
) -> None:
    licence = pipeline.create_licence("busy shop")
    expected: set[str] = set()
    for batch in range(30):  # enough for the replay to take a while
        lines = [sync_line(connector_id="c", message=f"avant {batch}-{n}") for n in range(500)]
        post(pipeline, licence, lines)
        expected |= {line["event_id"] for line in lines}
    reader = Reader(pipeline, licence)
    wait_until(lambda: reader.count() == len(expected), timeout=120)

    token = (pipeline.data_dir / "operator.token").read_text().strip()
    with httpx.Client(
        base_url=pipeline.url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as operator:
        started = operator.post("/v1/admin/replays", json={"source": "raw", "from_beginning": True})
        assert started.status_code == 202, started.text
        job = started.json()["job_id"]
        second = operator.post("/v1/admin/replays", json={"source": "archive"})
        assert second.status_code == 409
        assert "still running" in second.json()["detail"]["en"]
        during = 0
        while True:
            line = sync_line(connector_id="c", message=f"pendant {len(expected)}")
            post(pipeline, licence, [line])
            expected.add(line["event_id"])
            status = operator.get(f"/v1/admin/replays/{job}").json()
            if status["state"] in ("done", "failed"):
                break
            during += 1
    assert status["state"] == "done", status["error"]
    assert during > 0, "no event was accepted while the replay ran"

    wait_until(lambda: reader.count() == len(expected))
    snapshot = reader.snapshot()
    assert {event_id for event_id, _, _ in snapshot["reports"]} == expected
    assert len(snapshot["reports"]) == len(expected)
    assert snapshot["dashboard"]["levels"]["success"]["count"] == len(expected)


def test_a_rebuild_with_nothing_running_runs_in_the_cli(pipeline: Pipeline) -> None:
    licence = pipeline.create_licence("offline rebuild")
    post(pipeline, licence, [sync_line(message=f"archivé {n}") for n in range(20)])
    reader = Reader(pipeline, licence)
    wait_until(lambda: reader.count() == 20)
    before = reader.snapshot()
    assert pipeline.stop() == 0

    done = pipeline.ero("rebuild", "--from-archive")
    assert done.returncode == 0, done.stderr
    assert "swapped in sync_events" in done.stdout
    replay = pipeline.ero("replay", "--topic", "raw", "--from-beginning")
    assert replay.returncode == 2
    assert "ero rebuild --from-archive" in replay.stderr
    assert replay.stderr.count("\n") == 1

    pipeline.start()
    assert reader.snapshot() == before


def test_a_replay_and_a_rebuild_keep_each_licences_event_of_a_shared_id_once(
    pipeline: Pipeline,
) -> None:
    """Two licences send the same event_ids. A replay `--since` between their posts re-derives
    B's events and copies A's from the live table; a rebuild reads both from one archive page."""
    a, b = pipeline.create_licence("shared ids A"), pipeline.create_licence("shared ids B")
    ids = [sync_line()["event_id"] for _ in range(5)]
    readers = {"A": Reader(pipeline, a), "B": Reader(pipeline, b)}
    for tag, reader in readers.items():
        since = datetime.now(UTC).isoformat()
        post(pipeline, reader.licence, [sync_line(event_id=i, message=f"{tag} {i}") for i in ids])
        wait_until(lambda: reader.count() == len(ids))  # noqa: B023 (called in this turn)
    before = {tag: reader.snapshot() for tag, reader in readers.items()}

    for command in (("replay", "--topic", "raw", "--since", since), ("rebuild", "--from-archive")):
        done = pipeline.ero(*command)
        assert done.returncode == 0, done.stderr
        assert {tag: reader.snapshot() for tag, reader in readers.items()} == before, command


def test_a_replay_and_a_rebuild_send_no_alert_again(pipeline: Pipeline) -> None:
    """The rollups a replay rebuilds are the same, so every condition is the alert already
    told, by this desk and by the next one (a restart): the receiver gets each alert once."""
    licence = pipeline.create_licence("alerted shop")
    with HookReceiver().running() as hooks, pipeline.client(licence.reader_token) as reader:
        created = reader.post(
            "/v1/alerts/channels", json={"kind": "webhook", "name": "ERP", "url": hooks.url}
        )
        assert created.status_code == 201, created.text
        post(pipeline, licence, [
            sync_line(status="erreur", message="Article ZZR-1 absent de la gestion commerciale"),
            sync_line(status="erreur", message="Le pays ZQ est inconnu de la gestion commerciale"),
        ])  # fmt: skip
        told = wait_until(lambda: b if len(b := hooks.bodies("/")) == 2 else None)
        assert {b["kind"] for b in told} == {"new_group"}
        for command in (
            ("replay", "--topic", "raw", "--from-beginning"),
            ("rebuild", "--from-archive"),
        ):
            done = pipeline.ero(*command)
            assert done.returncode == 0, done.stderr
        time.sleep(5)  # five passes of the desk over the rebuilt tables
        assert hooks.bodies("/") == told
        assert pipeline.stop() == 0  # a new desk: what it knows comes from ClickHouse alone
        pipeline.start()
        time.sleep(5)
        assert hooks.bodies("/") == told
