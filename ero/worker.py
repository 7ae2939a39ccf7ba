"""The stream-processing side: a Faust app hosting the hot stage (raw -> classified, stored), the
rules table and the control plane's agent."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

import faust
import mode
import uvicorn

from control_plane.projection import ControlWriter, register_control_projection
from dead_letters.agent import register_dead_letter_projection
from dead_letters.store import DeadLetterStore
from ero.drain import Progress
from ero.log_producer import LogProducer
from ero.metrics import BATCH_RECORDS, FaustConsumerOffsets, watch_consumer, watch_dead_letters
from ero.settings import Settings
from ero.topics import Topics
from processors.catalog import load_catalog
from processors.catalog_store import CatalogStore
from processors.live_rules import LiveRules, initial_catalog, register_rules
from processors.stage import ClassifyAndStore
from projections.clickhouse import ClickHouse
from projections.sync_events import SyncEventsWriter
from streaming.batch_consumer import BatchConsumer, BatchLimits


def create_worker_app(
    settings: Settings, topics: Topics, clickhouse: ClickHouse, progress: Progress | None = None
) -> Any:
    on_done = progress.mark if progress is not None else (lambda _: None)
    on_offset = progress.mark_offset if progress is not None else (lambda *_: None)
    assert settings.kafka_bootstrap is not None
    app = faust.App(
        f"{settings.topic_prefix}-pipeline",
        broker=[f"kafka://{host}" for host in settings.kafka_bootstrap.split(",")],
        store="memory://",
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

    store = CatalogStore(clickhouse)
    rules_table = register_rules(app, topic(topics.rules), store, on_done=on_done)
    live_rules = LiveRules(initial_catalog(store, load_catalog()), rules_table)
    register_control_projection(
        app, topic(topics.control), ControlWriter(clickhouse), on_done=on_done
    )
    hot_stage = BatchConsumer(
        name="classify-and-store",
        bootstrap=settings.kafka_bootstrap,
        group_id=f"{settings.topic_prefix}-classify-and-store",
        topic=topics.raw,
        step=ClassifyAndStore(
            classifier=live_rules.classifier,
            writer=SyncEventsWriter(clickhouse),
            producer=LogProducer(
                settings.kafka_bootstrap,
                settings.max_record_bytes,
                settings.broker_timeout_seconds,
            ),
            classified_topic=topics.classified,
            dead_letter_topic=topics.dead_letter,
            max_record_bytes=settings.max_record_bytes,
        ),
        limits=BatchLimits(
            max_records=settings.sink_max_records,
            max_bytes=settings.sink_max_bytes,
            flush_seconds=settings.sink_flush_seconds,
        ),
        session_timeout_seconds=settings.broker_session_timeout_seconds,
        on_done=on_offset,
        on_batch=lambda records: _batch_started(topics.raw, records, progress),
    )
    # A service of the app: started once the rules table is recovered, so the first events are
    # classified with the newest rules.
    app.service(hot_stage)  # type: ignore[arg-type]  # Faust starts instances as well as classes
    letters = DeadLetterStore(clickhouse)
    register_dead_letter_projection(app, topic(topics.dead_letter), letters, on_done=on_done)
    watch_consumer(FaustConsumerOffsets(app))
    watch_consumer(hot_stage)
    watch_dead_letters(letters)
    return app


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
