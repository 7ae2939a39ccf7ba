"""Process composition for `ero run` (everything, embedded by default), `ero worker`, `ero api`.

The three differ only in which roles they host; the code each role runs is the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import socket
import sys
from collections.abc import Iterator
from datetime import UTC, datetime

import mode
import orjson
import structlog

from ero.api import api_server, create_api
from ero.archiver import archive_service
from ero.broker import EmbeddedBroker, free_port
from ero.drain import DrainService, Progress
from ero.metrics import serve_metrics
from ero.services import build_services
from ero.settings import ConfigurationError, Settings
from ero.state import demo_licence, open_clickhouse, operator_token
from ero.topics import Topics, ensure_topics
from ero.worker import ApiService, PipelineWorker, create_worker_app, drained_topics
from licences import Credentials

log = structlog.get_logger(__name__)


@contextlib.contextmanager
def _broker(settings: Settings, allow_embedded: bool) -> Iterator[tuple[Settings, bool]]:
    """Settings with a reachable bootstrap (the configured one, or an embedded broker's), and
    whether that broker is embedded (memory-only, gone when we stop)."""
    if settings.kafka_bootstrap:
        yield settings, False
        return
    if not allow_embedded:
        raise ConfigurationError(
            "ERO_KAFKA_BOOTSTRAP is not set: separate `ero worker` / `ero api` processes need a "
            "shared broker (the embedded one runs only inside `ero run`)"
        )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    while port == settings.api_port:  # not yet bound by the API: the system may offer it
        port = free_port()
    with EmbeddedBroker(port, log_file=settings.data_dir / "broker.log") as broker:
        yield settings.model_copy(update={"kafka_bootstrap": broker.bootstrap}), True


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


def _write_runtime_file(settings: Settings) -> None:
    """Tells the CLI (and tests) where this running pipeline's API and broker listen."""
    settings.runtime_file.write_bytes(
        orjson.dumps(
            {
                "pid": os.getpid(),
                "api_url": settings.resolved_api_url,
                "kafka_bootstrap": settings.kafka_bootstrap,
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


def run_all(settings: Settings) -> None:
    """Broker (embedded unless configured) + ClickHouse + worker + API in one process."""
    if not settings.writes_clickhouse:
        raise ConfigurationError(
            "`ero run` owns ClickHouse: ERO_WORKER_ROLES must include classify-and-project or "
            "project"
        )
    _ensure_port_free(settings)
    with _broker(settings, allow_embedded=True) as (settings, embedded):
        assert settings.kafka_bootstrap is not None
        topics = Topics.from_settings(settings)
        asyncio.run(ensure_topics(settings, topics))
        clickhouse = open_clickhouse(settings)
        services = build_services(settings, clickhouse, topics, operator_token(settings))
        print_banner(settings, demo_licence(settings, services.licences))
        progress = Progress()
        app = create_worker_app(settings, topics, clickhouse, progress)
        tune_garbage_collector()
        api = ApiService(
            api_server(create_api(services), settings.api_host, settings.api_port, hosted=True)
        )
        # Stopped in reverse order: the API first, then the drain, then the agents.
        extra: list[mode.Service] = [api]
        if embedded:
            timeout = settings.drain_timeout_seconds
            stages = drained_topics(settings, topics)
            extra.insert(0, DrainService(settings.kafka_bootstrap, stages, progress, timeout))
        if settings.archives_raw_apart:
            extra.insert(0, archive_service(settings, topics, clickhouse, drain=embedded))
        _write_runtime_file(settings)
        try:
            worker = PipelineWorker(
                app, *extra, loglevel=settings.log_level, override_logging=False
            )
            _execute(worker)
        finally:
            settings.runtime_file.unlink(missing_ok=True)


def run_worker(settings: Settings) -> None:
    with _broker(settings, allow_embedded=False) as (settings, _):
        if settings.metrics_port is not None:  # a busy port fails before anything starts
            serve_metrics(settings.metrics_host, settings.metrics_port)
        topics = Topics.from_settings(settings)
        asyncio.run(ensure_topics(settings, topics))
        # Only the process owning ClickHouse writes it (one process per chdb path).
        clickhouse = open_clickhouse(settings) if settings.writes_clickhouse else None
        app = create_worker_app(settings, topics, clickhouse)
        extra = []
        if clickhouse is not None and settings.archives_raw_apart:
            extra.append(archive_service(settings, topics, clickhouse, drain=False))
        tune_garbage_collector()
        _execute(PipelineWorker(app, *extra, loglevel=settings.log_level, override_logging=False))


def run_api(settings: Settings) -> None:
    _ensure_port_free(settings)
    with _broker(settings, allow_embedded=False) as (settings, _):
        topics = Topics.from_settings(settings)
        services = build_services(
            settings, open_clickhouse(settings), topics, operator_token(settings)
        )
        server = api_server(
            create_api(services), settings.api_host, settings.api_port, hosted=False
        )
        tune_garbage_collector()  # a request of 10 000 events builds as many objects
        # uvicorn re-raises the signal it stopped on; a Ctrl-C stop is a clean exit here.
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(server.serve())


def _execute(worker: PipelineWorker) -> None:
    # Faust ends with SystemExit; a clean stop is exit code 0 and must not skip our cleanup.
    try:
        worker.execute_from_commandline()
    except SystemExit as exc:
        if exc.code not in (0, None):
            raise


def print_banner(settings: Settings, demo: Credentials | None) -> None:
    url = settings.resolved_api_url
    lines = [
        "",
        f"ERO is starting: API {url}  (OpenAPI: {url}/docs)",
        f"  broker {settings.kafka_bootstrap}   ClickHouse {settings.resolved_clickhouse_dsn}",
    ]
    if demo is not None:
        now = datetime.now(UTC).isoformat(timespec="seconds")
        lines += [
            f"  demo licence   {demo.licence_id}",
            f"  connector key  {demo.connector_key}",
            f"  reader token   {demo.reader_token}",
            "",
            "Post an event:",
            f"  curl -sS -X POST {url}/v1/events -H 'Authorization: Bearer {demo.connector_key}' "
            '-H \'Content-Type: application/json\' -d \'[{"connector_id": "shop-1", '
            f'"occurred_at": "{now}", "operation": "order.import", "reference": "000146", '
            '"status": "erreur", "message": "Article TSHIRT-BL-M absent de la gestion '
            "commerciale\"}]'",
            "Read it back:",
            f"  curl -sS {url}/v1/reports -H 'Authorization: Bearer {demo.reader_token}'",
            f"  curl -sS {url}/v1/dashboard -H 'Authorization: Bearer {demo.reader_token}'",
        ]
    lines += ["Create another licence: .venv/bin/ero licence create NAME", "Ctrl-C stops.", ""]
    print("\n".join(lines), file=sys.stdout, flush=True)
