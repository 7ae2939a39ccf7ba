"""Our worker, unchanged, as a contender: what `ero worker` runs — the hot stage, which also
publishes every classified event on the feed topic and archives every raw record (work the
peers do not do). The clock stops once it has committed everything."""

from __future__ import annotations

import asyncio
import dataclasses

from bench.job_spec import JobSpec, Stopwatch, finish
from bench.workload import RECORD_KEY
from ero.deployment import Deployment
from ero.process import PipelineWorker
from ero.runtime import tune_garbage_collector
from ero.settings import Settings
from ero.storage import open_clickhouse
from ero.worker import create_worker_app
from infra.topics import end_offsets, ensure_topics
from streaming.drain import Progress


class _TimedProgress(Progress):
    def __init__(self, stopwatch: Stopwatch) -> None:
        super().__init__()
        self._stopwatch = stopwatch

    def batch_started(self, records: int) -> None:
        self._stopwatch.record_in()


# Passes no job lasts long enough to see: the desks stay idle (the "bare" contender).
_NEVER = 86_400.0


def run_ours(spec: JobSpec) -> None:
    _run(spec, "ours", desks=True)


def run_bare(spec: JobSpec) -> None:
    """Ours without the alert and ticket desks' passes: what alerting costs the job."""
    _run(spec, "bare", desks=False)


def _run(spec: JobSpec, contender: str, *, desks: bool) -> None:
    settings = Settings(
        kafka_bootstrap=spec.bootstrap,
        topic_prefix=f"bench-{contender}-{spec.run}",
        data_dir=spec.data_dir,
        sink_max_records=spec.max_records,
        sink_flush_seconds=spec.flush_seconds,
        # The peers' batches: cut by size or by `flush_seconds`, never sooner for a quiet stage.
        sink_linger_seconds=spec.flush_seconds,
        log_level="WARNING",
        record_key=RECORD_KEY,
        broker_session_timeout_seconds=6.0,  # Kafka's minimum, as in the tests: shorter joins
    )
    if not desks:
        idle = ["alert_interval_seconds", "alert_slow_interval_seconds"]
        idle.append("ticket_delivery_interval_seconds")
        settings = settings.model_copy(update=dict.fromkeys(idle, _NEVER))
    resolved = Deployment.resolve(settings, spec.bootstrap)
    # The stage reads the topic the workload was preloaded into.
    topics = dataclasses.replace(resolved.topics, raw=spec.topic)
    deployment = dataclasses.replace(resolved, topics=topics)
    asyncio.run(ensure_topics(spec.bootstrap, topics))
    stopwatch = Stopwatch(contender, spec.events)
    progress = _TimedProgress(stopwatch)
    clickhouse = open_clickhouse(settings)
    app = create_worker_app(deployment, clickhouse, progress).app
    tune_garbage_collector()  # as `ero worker` does

    @app.task  # type: ignore[untyped-decorator]
    async def done_when_stored() -> None:
        """The stage committed everything the topic held: every event is inserted, every
        record archived."""
        ends = await end_offsets(spec.bootstrap, topics.raw)
        while not progress.caught_up(topics.raw, ends):  # noqa: ASYNC110  # marked by the stage
            await asyncio.sleep(0.005)
        stopwatch.inserted_now(spec.events)
        finish()

    worker = PipelineWorker(app, loglevel="warning", override_logging=False)
    worker.execute_from_commandline()
