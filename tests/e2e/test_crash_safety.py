"""kill -9 of `ero worker`, through a broker that outlives it: nothing lost, nothing doubled.

The broker is started here (the embedded one dies with `ero run`); the worker owns the chdb path,
so what readers see is checked afterwards through `ero api` on the same path, and the archive
through `ero rebuild --from-archive`.

Two crashes: SIGKILL from outside while the worker is busy (wherever it is: classifying,
between an insert and its commit, mid-batch), and a deterministic one right after a projection
insert and before its offsets are committed (tests/support/kill_after_inserts.py wraps the real
writer: an outside kill cannot aim at that window reliably). An outside kill can also land
between the sync_events part and a rollup's part of one insert: the dashboard totals catch that,
and the redelivered batch's rollup check (projections/rollup_repair.py) is what keeps them exact.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from ero.settings import Settings
from infra.broker import EmbeddedBroker
from infra.topics import Topics, end_offsets, ensure_topics
from schemas.records import encode_batches
from tests.support.factories import order_events
from tests.support.pipeline import Pipeline, wait_until
from tests.support.readers import report_items

pytestmark = pytest.mark.pipeline

EVENTS_PER_RECORD = 10
KILLED_AFTER_3_INSERTS = (sys.executable, "-m", "tests.support.kill_after_inserts", "3")


async def _produce(bootstrap: str, topic: str, licence_id: str, records: int) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for n in range(records):
            now = datetime.now(UTC)
            events = order_events(EVENTS_PER_RECORD, str(n), now)
            for record in encode_batches(licence_id, now, events, 512 * 1024):
                await producer.send_and_wait(topic, record, key=licence_id.encode())
    finally:
        await producer.stop()


async def _committed(bootstrap: str, group: str, topic: str) -> int:
    """Through OffsetFetch as a consumer of the group that never joins it (as Faust reads it)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group)
    await consumer.start()
    try:
        await consumer.topics()
        partitions = consumer.partitions_for_topic(topic) or set()
        offsets = [await consumer.committed(TopicPartition(topic, p)) for p in partitions]
    finally:
        await consumer.stop()
    return sum(offset for offset in offsets if offset)


class Log:
    """The broker's positions: what was produced and what each consumer group committed."""

    def __init__(self, bootstrap: str, topics: Topics) -> None:
        self.bootstrap = bootstrap
        self.topics = topics

    def end(self, topic: str) -> int:
        return sum(asyncio.run(end_offsets(self.bootstrap, topic)).values())

    def committed(self, group: str, topic: str) -> int:
        return asyncio.run(_committed(self.bootstrap, group, topic))

    def positions(self) -> dict[str, tuple[int, int]]:
        """group/topic -> (committed, end). The hot stage archives what it classifies: its
        group is the only one reading raw."""
        raw = self.topics.raw
        return {f"ero-classify/{raw}": (self.committed("ero-classify", raw), self.end(raw))}

    def all_committed(self) -> bool:
        return all(committed == end for committed, end in self.positions().values())


def test_kill_9_mid_run_and_between_insert_and_commit_lose_and_double_nothing(
    tmp_path: Path,
) -> None:
    with EmbeddedBroker(log_file=tmp_path / "broker.log") as broker:
        topics = Topics.named(Settings().topic_prefix)
        asyncio.run(ensure_topics(broker.bootstrap, topics))
        log = Log(broker.bootstrap, topics)
        env = {
            "ERO_KAFKA_BOOTSTRAP": broker.bootstrap,
            "ERO_SINK_MAX_RECORDS": "2",  # many small inserts: a crash lands between two
        }
        worker = Pipeline(tmp_path / "var", "worker", **env)
        try:
            licence = worker.create_licence("crash shop")  # no process holds the path yet
            asyncio.run(_produce(broker.bootstrap, topics.raw, licence.licence_id, 150))

            faulty = Pipeline(tmp_path / "var", "worker", KILLED_AFTER_3_INSERTS, **env)
            assert faulty.spawn().wait(timeout=120) == -signal.SIGKILL

            busy = worker.spawn()
            baseline = log.committed("ero-classify", topics.raw)
            wait_until(lambda: log.committed("ero-classify", topics.raw) > baseline, 120)
            busy.kill()
            assert busy.wait(timeout=30) == -signal.SIGKILL
            asyncio.run(_produce(broker.bootstrap, topics.raw, licence.licence_id, 50))

            worker.spawn()
            try:
                wait_until(log.all_committed, timeout=120, every=0.5)
            except AssertionError as exc:
                raise AssertionError(f"{exc}; committed, end: {log.positions()}") from exc
            assert worker.stop() == 0

            expected = 200 * EVENTS_PER_RECORD
            api = Pipeline(tmp_path / "var", "api", **env).start()
            try:
                with api.client(licence.reader_token) as reader:
                    items = report_items(reader)
                    levels = reader.get("/v1/dashboard").json()["levels"]
            finally:
                assert api.stop() == 0
            assert len(items) == expected
            assert len({item["event_id"] for item in items}) == expected
            assert sum(level["count"] for level in levels.values()) == expected

            rebuilt = worker.ero("rebuild", "--from-archive")
            # Nothing runs: the CLI replays the broker's raw topic itself.
            replayed = worker.ero("replay", "--topic", "raw", "--from-beginning")
        finally:
            worker.ensure_stopped()
    assert rebuilt.returncode == 0, rebuilt.stderr
    # Every record archived once: the archive holds exactly the events, and the live table
    # nothing it lacks.
    assert f"replayed {expected:,} events from archive; kept 0 more" in rebuilt.stdout
    assert replayed.returncode == 0, replayed.stderr
    assert f"replayed {expected:,} events from raw; kept 0 more" in replayed.stdout
