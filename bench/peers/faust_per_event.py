"""The straightforward Faust job: an agent iterating over the stream's values (JSON-decoded by
Faust), validating and classifying each event, inserting with `stream.take` blocks.

As Faust's documentation writes it: a `faust.App`, a topic with a JSON value serializer, one
`@app.agent`, `stream.take(n, within=t)` for batching, Faust's own acking.
"""

from __future__ import annotations

from typing import Any

import faust

from bench.job_spec import JobSpec, Stopwatch, classified_rows, finish
from ero.settings import Settings
from ero.storage import open_clickhouse
from processors.catalog import load_catalog
from processors.classifier import Classifier
from projections.sync_events import SyncEventsWriter


def run_faust(spec: JobSpec) -> None:
    writer = SyncEventsWriter(open_clickhouse(Settings(data_dir=spec.data_dir)))
    classifier = Classifier(load_catalog())
    stopwatch = Stopwatch("faust", spec.events)
    app = faust.App(
        f"bench-faust-peer-{spec.run}",
        broker=f"kafka://{spec.bootstrap}",
        store="memory://",
        autodiscover=False,
        web_enabled=False,
        consumer_auto_offset_reset="earliest",
        broker_session_timeout=6.0,
        broker_heartbeat_interval=1.5,
    )
    topic = app.topic(spec.topic, key_serializer="raw", value_serializer="json")

    @app.agent(topic)
    async def project(stream: Any) -> None:
        async for values in stream.take(spec.max_records, within=spec.flush_seconds):
            stopwatch.record_in()
            if stopwatch.inserted_now(await writer.write(classified_rows(classifier, values))):
                finish()

    faust.Worker(app, loglevel="warning", override_logging=False).execute_from_commandline()
