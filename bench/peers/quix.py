"""The Quix Streams job: an `Application`, a JSON topic, a StreamingDataFrame that expands each
record into its classified events, and a `BatchingSink` inserting into ClickHouse.

As Quix's documentation recommends for a custom destination: subclass `BatchingSink`, write the
batch in `write()` (here with clickhouse-connect's `client.insert`, bench/peers/columns.py);
Quix commits offsets only after the sink has flushed (at each checkpoint).
The checkpoint interval is set to our flush interval, so blocks are the same size.
"""

from __future__ import annotations

from typing import Any

from quixstreams import Application
from quixstreams.sinks import BatchingSink, SinkBatch

from bench.job_spec import JobSpec, Stopwatch, classified_rows, finish
from bench.peers.columns import insert_rows
from ero.settings import Settings
from ero.storage import open_clickhouse
from infra.clickhouse import ClickHouse
from processors.catalog import load_catalog
from processors.classifier import Classifier
from projections.sync_events import Row


class ClickHouseSink(BatchingSink):  # type: ignore[misc,unused-ignore]  # untyped without the bench extra
    def __init__(self, clickhouse: ClickHouse, stopwatch: Stopwatch) -> None:
        super().__init__()
        self._clickhouse = clickhouse
        self._stopwatch = stopwatch

    def write(self, batch: SinkBatch) -> None:
        inserted = insert_rows(self._clickhouse, [item.value for item in batch])
        if self._stopwatch.inserted_now(inserted):
            finish()


def run_quix(spec: JobSpec) -> None:
    clickhouse = open_clickhouse(Settings(data_dir=spec.data_dir))
    classifier = Classifier(load_catalog())
    stopwatch = Stopwatch("quix", spec.events)
    app = Application(
        broker_address=spec.bootstrap,
        consumer_group=f"bench-quix-peer-{spec.run}",
        auto_offset_reset="earliest",
        commit_interval=spec.flush_seconds,
        commit_every=spec.max_records,
        auto_create_topics=False,
        use_changelog_topics=False,
    )
    topic = app.topic(spec.topic, value_deserializer="json")

    def classify(record: dict[str, Any]) -> list[Row]:
        stopwatch.record_in()
        return classified_rows(classifier, [record])

    sdf = app.dataframe(topic).apply(classify, expand=True)
    sdf.sink(ClickHouseSink(clickhouse, stopwatch))
    app.run()
