"""The stream-processing side: a Faust app hosting the hot stages (batch consumers), the rules
table and the low-volume agents (control plane, dead letters), by the process's roles:

- classify-and-project (the default, one hop): raw -> classified, stored in ClickHouse and
  published on the classified topic (the feed);
- classify: raw -> feed only (no ClickHouse: extra workers that scale classification out);
- project: feed -> ClickHouse (the process owning ClickHouse when others classify).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

import faust
import mode
import structlog
import uvicorn

from control_plane.projection import ControlWriter, register_control_projection
from dead_letters.agent import register_dead_letter_projection
from dead_letters.store import DeadLetterStore
from ero.drain import Progress
from ero.log_producer import LogProducer
from ero.metrics import BATCH_RECORDS, FaustConsumerOffsets, watch_consumer, watch_dead_letters
from ero.settings import CLASSIFY_AND_PROJECT, Settings
from ero.state import record_seal
from ero.topics import Topics
from processors.catalog import load_catalog
from processors.catalog_store import CatalogStore
from processors.live_rules import LiveRules, initial_catalog, register_rules, rules_table
from processors.stage import ClassifyAndStore
from projections.archive import ArchiveWriter
from projections.clickhouse import ClickHouse
from projections.stage import ProjectFeed
from projections.write_gate import PROJECTION_GATE, GatedSyncEventsWriter, kill_after_inserts
from streaming.batch_consumer import BatchConsumer, BatchLimits, Step

log = structlog.get_logger(__name__)


def create_worker_app(
    settings: Settings,
    topics: Topics,
    clickhouse: ClickHouse | None,
    progress: Progress | None = None,
) -> Any:
    """The stages of this process's roles (settings.worker_roles); `clickhouse` is given when
    they write it (settings.writes_clickhouse)."""
    roles = settings.roles
    seal = record_seal(settings)
    on_done = progress.mark if progress is not None else (lambda _: None)
    assert settings.kafka_bootstrap is not None
    bootstrap = settings.kafka_bootstrap
    app = faust.App(
        f"{settings.topic_prefix}-pipeline",
        broker=[f"kafka://{host}" for host in bootstrap.split(",")],
        store="memory://",
        # Faust's own files (none with memory stores, but it makes the folder) stay with ours,
        # not in the directory the process was started from.
        datadir=str(settings.data_dir / "faust"),
        autodiscover=False,
        web_enabled=False,  # no 0.0.0.0:6066 listener: servers here bind loopback only
        producer_acks=-1,
        topic_partitions=settings.topic_partitions,
        topic_replication_factor=settings.topic_replication,
        consumer_auto_offset_reset="earliest",
        broker_commit_interval=1.0,
        broker_session_timeout=settings.broker_session_timeout_seconds,
        broker_heartbeat_interval=min(3.0, settings.broker_session_timeout_seconds / 4),
    )

    def topic(name: str) -> Any:
        return app.topic(name, key_serializer="raw", value_serializer="raw")

    if clickhouse is None:  # a classify-only worker: the bundled catalog, then the rules topic's
        live_rules = LiveRules(load_catalog(), rules_table(app))
        writer = archive = None
    else:
        store = CatalogStore(clickhouse)
        rules = register_rules(app, topic(topics.rules), store, on_done=on_done)
        live_rules = LiveRules(initial_catalog(store, load_catalog()), rules)
        register_control_projection(
            app, topic(topics.control), ControlWriter(clickhouse), on_done=on_done
        )
        letters = DeadLetterStore(clickhouse)
        register_dead_letter_projection(app, topic(topics.dead_letter), letters, on_done=on_done)
        watch_dead_letters(letters)
        writer = GatedSyncEventsWriter(
            clickhouse, PROJECTION_GATE, kill_after_inserts(settings.fault_kill_after_inserts)
        )
        # Classify-and-project archives what it classifies; a `project` process archives the
        # whole raw topic in a group of its own (ero/archiver.py).
        archive = None if settings.archives_raw_apart else ArchiveWriter(clickhouse)

    def stage(name: str, source: str, step: Step[Any]) -> BatchConsumer[Any]:
        consumer: BatchConsumer[Any] = BatchConsumer(
            name=name,
            bootstrap=bootstrap,
            group_id=f"{settings.topic_prefix}-{name}",
            topic=source,
            step=step,
            limits=BatchLimits(
                max_records=settings.sink_max_records,
                max_bytes=settings.sink_max_bytes,
                flush_seconds=settings.sink_flush_seconds,
                linger_seconds=settings.sink_linger_seconds,
            ),
            session_timeout_seconds=settings.broker_session_timeout_seconds,
            on_done=progress.mark_offset if progress is not None else (lambda *_: None),
            on_batch=lambda records: _batch_started(source, records, progress),
        )
        watch_consumer(consumer)
        # A service of the app: started once the rules table is recovered, so the first
        # events are classified with the newest rules.
        app.service(consumer)  # type: ignore[arg-type]  # Faust starts instances as well as classes
        return consumer

    if roles & {CLASSIFY_AND_PROJECT, "classify"}:
        # One group for every process reading raw, whatever its role: they share its partitions.
        stage(
            "classify",
            topics.raw,
            ClassifyAndStore(
                classifier=live_rules.classifier,
                writer=writer if CLASSIFY_AND_PROJECT in roles else None,
                archive=archive,
                producer=LogProducer(
                    bootstrap, settings.max_record_bytes, settings.broker_timeout_seconds
                ),
                seal=seal,
                classified_topic=topics.classified,
                dead_letter_topic=topics.dead_letter,
                max_record_bytes=settings.max_record_bytes,
            ),
        )
    if "project" in roles:
        assert writer is not None, "the project role writes ClickHouse"
        stage("project", topics.classified, ProjectFeed(writer))
    watch_consumer(FaustConsumerOffsets(app))
    return app


def drained_topics(settings: Settings, topics: Topics) -> tuple[str, ...]:
    """What this process's stages consume, in pipeline order: what a drain waits for."""
    stages = [topics.raw]
    if "project" in settings.roles:
        stages.append(topics.classified)
    return (*stages, topics.control, topics.rules, topics.dead_letter)


def _batch_started(topic: str, records: int, progress: Progress | None) -> None:
    BATCH_RECORDS.labels(topic).observe(records)
    if progress is not None:
        progress.batch_started(records)


class ApiService(mode.Service):
    """Serves the HTTP API on the worker's event loop (the embedded, one-process deployment)."""

    def __init__(self, server: uvicorn.Server, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._server = server
        self._serving: asyncio.Task[None] | None = None

    async def on_start(self) -> None:
        self._serving = asyncio.ensure_future(self._server.serve())
        while not self._server.started:
            if self._serving.done():
                config = self._server.config
                raise RuntimeError(
                    f"the API could not listen on {config.host}:{config.port} "
                    "(port in use? set ERO_API_PORT)"
                )
            await asyncio.sleep(0.05)

    async def on_stop(self) -> None:
        if self._serving is not None:
            self._server.should_exit = True
            await self._serving


class PipelineWorker(faust.Worker):
    """Faust's worker, with extra services started after the app and stopped before it.

    Stopping the API first means no event is accepted once the agents start shutting down.
    """

    def on_init_dependencies(self) -> Iterable[mode.ServiceT]:
        *services, app = super().on_init_dependencies()
        return [app, *services]
