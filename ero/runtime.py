"""Process composition for `ero run` (everything, embedded by default), `ero worker`, `ero api`.

The three differ only in which roles they host; the code each role runs is the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import socket
from collections.abc import Iterator
from functools import partial

import mode
import orjson
import structlog

from ero.api import api_server, app_state, create_api
from ero.banner import print_banner
from ero.data_dir_lock import holding
from ero.demo import demo_licence, demo_owner
from ero.deployment import Deployment
from ero.process import EXIT_NOT_DRAINED, ApiService, PipelineWorker, StopDeadline
from ero.prometheus import serve_metrics
from ero.secrets import operator_token
from ero.settings import ConfigurationError, Settings
from ero.storage import open_clickhouse
from ero.worker import create_worker_app, drained_topics
from infra.append_gate import AppendGate
from infra.broker import BrokerUnreachable, EmbeddedBroker, free_port, reap_orphaned_brokers
from infra.clickhouse import ClickHouse
from infra.topics import ensure_topics
from pipeline.archive_raw import ArchiveService, archive_consumer
from projections.archive import ArchiveWriter
from streaming.drain import DrainService, Progress
from streaming.recycle import TopicRecycler

log = structlog.get_logger(__name__)


@contextlib.contextmanager
def deployment_of(settings: Settings, allow_embedded: bool) -> Iterator[Deployment]:
    """The settings resolved with a reachable broker: the configured one, or the embedded one
    of this data dir (infra/broker.py: detached; re-attached if an earlier run left it).

    The embedded broker is stopped when the context ends normally (after the drain), and left
    running when it ends with an exception, a crash, or a drain that did not finish: what it
    holds is then read by the next `ero run` on this data dir."""
    if settings.kafka_bootstrap:
        yield Deployment.resolve(settings, settings.kafka_bootstrap)
        return
    if not allow_embedded:
        raise ConfigurationError(
            "ERO_KAFKA_BOOTSTRAP is not set: separate `ero worker` / `ero api` processes need a "
            "shared broker (the embedded one runs only inside `ero run`)"
        )
    with holding(settings.data_dir):
        reap_orphaned_brokers()
        port = free_port()
        while port == settings.api_port:  # not yet bound by the API: the system may offer it
            port = free_port()
        broker = EmbeddedBroker(
            port, log_file=settings.data_dir / "broker.log", state_file=settings.broker_state_file
        )
        try:
            broker.start()
        except BrokerUnreachable as exc:
            raise ConfigurationError(str(exc)) from exc
        if broker.port == settings.api_port:
            raise ConfigurationError(
                f"the embedded broker left running by an earlier `ero run` listens on "
                f"{broker.port}, the API's port: set ERO_API_PORT to another one"
            )
        try:
            reattached = broker.reattached
            yield Deployment.resolve(
                settings, broker.bootstrap, embedded_broker=True, broker_reattached=reattached
            )
        except BaseException:
            log.warning("embedded_broker_left_running", pid=broker.pid, bootstrap=broker.bootstrap)
            raise
        broker.stop()


def _ensure_port_free(settings: Settings) -> None:
    """Fail before starting anything, with the one line the user needs."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((settings.api_host, settings.api_port))
        except OSError as exc:
            raise ConfigurationError(
                f"cannot listen on {settings.api_host}:{settings.api_port} ({exc.strerror}): "
                "stop what uses that port or set ERO_API_PORT"
            ) from exc


def _write_runtime_file(deployment: Deployment) -> None:
    """Tells the CLI (and tests) where this running pipeline's API and broker listen."""
    settings = deployment.settings
    settings.runtime_file.write_bytes(
        orjson.dumps(
            {
                "pid": os.getpid(),
                "api_url": settings.resolved_api_url,
                "kafka_bootstrap": deployment.bootstrap,
            }
        )
    )


def tune_garbage_collector() -> None:
    """For a process that builds tens of thousands of objects per batch (or request) and keeps
    them until the batch is stored: with the default thresholds the cyclic collector runs every
    700 allocations and re-scans the batch each time, 45 % of the hot stage's time (measured).
    Our objects rarely form cycles; reference counting frees them. Collected 70x less often,
    and what start-up built is left out of every scan."""
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def archive_service(deployment: Deployment, clickhouse: ClickHouse, drain: bool) -> ArchiveService:
    """The raw topic's own archive consumer, for the `project` process of a scaled-out
    deployment (pipeline/archive_raw.py)."""
    consumer = archive_consumer(
        deployment.bootstrap,
        deployment.topics.raw,
        deployment.group_id("archive"),
        deployment.group_timing,
    )
    timeout = deployment.settings.drain_timeout_seconds if drain else None
    # As many records per insert as the hot stage takes per batch: with one event per record
    # (direct producers), 2 000-record inserts cost the worker more than classifying them.
    limit = deployment.batch_limits.max_records
    writer = ArchiveWriter(clickhouse)
    return ArchiveService(consumer, writer, deployment.seal, timeout, max_records=limit)


def run_all(settings: Settings) -> None:
    """Broker (embedded unless configured) + ClickHouse + worker + API in one process."""
    if not settings.writes_clickhouse:
        raise ConfigurationError(
            "`ero run` owns ClickHouse: ERO_WORKER_ROLES must include classify-and-project or "
            "project"
        )
    _ensure_port_free(settings)
    with deployment_of(settings, allow_embedded=True) as deployment:
        asyncio.run(ensure_topics(deployment.bootstrap, deployment.topics))
        clickhouse = open_clickhouse(settings)
        recycling = deployment.recycling
        gate = AppendGate(deployment.topics.recycled) if recycling is not None else None
        state = app_state(deployment, clickhouse, operator_token(settings), gate)
        demo = demo_licence(settings, state.licences)
        if demo is not None:
            state.accounts.on_signup(partial(demo_owner, state.accounts, demo))
        print_banner(deployment, demo)
        progress = Progress()
        worker = create_worker_app(deployment, clickhouse, progress, gate)
        tune_garbage_collector()
        api = ApiService(
            api_server(
                create_api(state),
                settings.api_host,
                settings.api_port,
                hosted=True,
                trusted_proxies=settings.forwarded_allow_ips,
            ),
        )
        # Stopped in reverse order: the API first (requests waiting at the gate go through),
        # then the recycler, the drain, then the agents.
        extra: list[mode.Service] = [api]
        if recycling is not None and gate is not None:
            recycler = TopicRecycler(
                bootstrap=deployment.bootstrap,
                declarations=[
                    topic
                    for topic in deployment.topics.declarations()
                    if topic.name in deployment.topics.recycled
                ],
                readers=worker.readers,
                gate=gate,
                policy=recycling,
                on_recycled=progress.forget,
            )
            extra.insert(0, recycler)
        drain: DrainService | None = None
        # A stop during a recycle may wait for the requests held at its gate: past the bound,
        # the process ends anyway and the embedded broker keeps what was not stored.
        bound = settings.stop_timeout_seconds
        if deployment.embedded_broker:
            timeout = settings.drain_timeout_seconds
            stages = drained_topics(deployment)
            drain = DrainService(deployment.bootstrap, stages, progress, timeout)
            extra.insert(0, drain)
            bound += timeout
        if settings.archives_raw_apart:
            extra.insert(0, archive_service(deployment, clickhouse, drain=drain is not None))
        deadline = StopDeadline(bound, drain.not_drained if drain is not None else dict)
        _write_runtime_file(deployment)
        try:
            PipelineWorker(
                worker.app,
                *extra,
                deadline=deadline,
                loglevel=settings.log_level,
                override_logging=False,
            ).execute()
        finally:
            settings.runtime_file.unlink(missing_ok=True)
        if drain is not None and drain.timed_out:  # the embedded broker keeps what is left
            raise SystemExit(EXIT_NOT_DRAINED)


def run_worker(settings: Settings) -> None:
    with deployment_of(settings, allow_embedded=False) as deployment:
        if settings.metrics_port is not None:  # a busy port fails before anything starts
            serve_metrics(settings.metrics_host, settings.metrics_port)
        asyncio.run(ensure_topics(deployment.bootstrap, deployment.topics))
        # Only the process owning ClickHouse writes it (one process per chdb path).
        clickhouse = open_clickhouse(settings) if settings.writes_clickhouse else None
        app = create_worker_app(deployment, clickhouse).app
        extra = []
        if clickhouse is not None and settings.archives_raw_apart:
            extra.append(archive_service(deployment, clickhouse, drain=False))
        tune_garbage_collector()
        deadline = StopDeadline(settings.stop_timeout_seconds, dict)
        PipelineWorker(
            app, *extra, deadline=deadline, loglevel=settings.log_level, override_logging=False
        ).execute()


def run_api(settings: Settings) -> None:
    _ensure_port_free(settings)
    with deployment_of(settings, allow_embedded=False) as deployment:
        state = app_state(deployment, open_clickhouse(settings), operator_token(settings))
        server = api_server(
            create_api(state),
            settings.api_host,
            settings.api_port,
            hosted=False,
            trusted_proxies=settings.forwarded_allow_ips,
        )
        tune_garbage_collector()  # a request of 10 000 events builds as many objects
        # uvicorn re-raises the signal it stopped on; a Ctrl-C stop is a clean exit here.
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(server.serve())
