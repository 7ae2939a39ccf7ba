"""The stream-processing side: a Faust app with the classification and projection agents."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

import faust
import mode
import structlog
import uvicorn

from control_plane.projection import ControlWriter, register_control_projection
from ero.drain import Progress
from ero.settings import Settings
from ero.topics import Topics
from processors.agent import register_classification
from processors.catalog import load_catalog
from processors.catalog_store import CatalogStore
from processors.live_rules import LiveRules, initial_catalog, register_rules, rules_table
from projections.agent import register_projection
from projections.clickhouse import ClickHouse
from projections.write_gate import PROJECTION_GATE, GatedSyncEventsWriter, kill_after_inserts

log = structlog.get_logger(__name__)


def create_worker_app(
    settings: Settings,
    topics: Topics,
    clickhouse: ClickHouse | None,
    progress: Progress | None = None,
    classify: bool = True,
) -> Any:
    """The agents of this process's roles: classification when `classify`, the projections
    (and the rules agent) when it owns ClickHouse."""
    on_done = progress.mark if progress is not None else (lambda _: None)
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

    async def log_assignment(sender: Any, /, *args: Any, signal: Any, **_: Any) -> None:
        """What this process got (args: the assigned set): how workers share the partitions."""
        partitions = sorted(f"{tp.topic}/{tp.partition}" for tp in args[0])
        log.info("partitions_assigned", partitions=partitions)

    app.on_partitions_assigned.connect(log_assignment)

    def topic(name: str) -> Any:
        return app.topic(name, key_serializer="raw", value_serializer="raw")

    raw, classified, dead_letter, control = (
        topic(topics.raw),
        topic(topics.classified),
        topic(topics.dead_letter),
        topic(topics.control),
    )
    if clickhouse is None:  # a classify-only worker: the bundled catalog, then the rules topic's
        live_rules = LiveRules(load_catalog(), rules_table(app))
    else:
        store = CatalogStore(clickhouse)
        rules = register_rules(app, topic(topics.rules), store, on_done=on_done)
        live_rules = LiveRules(initial_catalog(store, load_catalog()), rules)
    if classify:
        register_classification(
            app,
            raw,
            classified,
            dead_letter,
            live_rules.classifier,
            max_records=256,
            max_record_bytes=settings.max_record_bytes,
            on_done=on_done,
        )
    if clickhouse is not None:
        writer = GatedSyncEventsWriter(
            clickhouse, PROJECTION_GATE, kill_after_inserts(settings.fault_kill_after_inserts)
        )
        register_projection(
            app,
            classified,
            writer,
            max_records=settings.sink_max_records,
            within=settings.sink_flush_seconds,
            on_done=on_done,
        )
        register_control_projection(app, control, ControlWriter(clickhouse), on_done=on_done)
    return app


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
