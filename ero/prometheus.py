"""Prometheus metrics of one process: what the API's /metrics (or ERO_METRICS_PORT) exposes.

One process, one registry (prometheus_client's default): in the embedded deployment the worker
and the API share it. The lower layers measure through infra.metrics' Protocol, which
`install()` points at the counters and histograms below; consumer lag and the dead-letter
backlog are read when scraped, from the sources this process registered.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Protocol

from faust.exceptions import ConsumerNotStarted
from prometheus_client import (
    REGISTRY,
    Counter,
    Histogram,
    disable_created_metrics,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from infra.configuration import ConfigurationError
from infra.metrics import MetricName, Tags, configure_metrics

disable_created_metrics()  # type: ignore[no-untyped-call]  # no `_created` series: half the scrape

INGESTED = Counter(
    "ero_ingest_events",
    "Lines received by POST /v1/events, by outcome (accepted to the log or rejected).",
    ["outcome"],
)
BATCH_RECORDS = Histogram(
    "ero_batch_records",
    "Kafka records per batch an agent consumes, by topic.",
    ["topic"],
    buckets=(1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2000, 5000),
)
INSERT_SECONDS = Histogram(
    "ero_clickhouse_insert_seconds",
    "Duration of one ClickHouse insert, by table.",
    ["table"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
INSERT_ROWS = Histogram(
    "ero_clickhouse_insert_rows",
    "Rows per ClickHouse insert, by table.",
    ["table"],
    buckets=(1, 10, 100, 1000, 5000, 10_000, 50_000, 100_000),
)
CLASSIFICATION_SECONDS = Histogram(
    "ero_classification_batch_seconds",
    "Time to validate and classify the events of one batch of raw records (timed per batch: "
    "a per-event timer would cost more than the classification of a cached shape).",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1),
)
CLASSIFIED = Counter(
    "ero_classified_events",
    "Events classified; with ero_classification_batch_seconds_sum it gives the time per event.",
)
DEAD_LETTERS_STORED = Counter(
    "ero_dead_letters_stored", "Dead letters projected into ClickHouse by this process."
)


_COUNTERS: dict[MetricName, Counter] = {
    "ingest_events": INGESTED,
    "classified_events": CLASSIFIED,
    "dead_letters_stored": DEAD_LETTERS_STORED,
}
_HISTOGRAMS: dict[MetricName, Histogram] = {
    "batch_records": BATCH_RECORDS,
    "clickhouse_insert_seconds": INSERT_SECONDS,
    "clickhouse_insert_rows": INSERT_ROWS,
    "classification_batch_seconds": CLASSIFICATION_SECONDS,
}


class PrometheusMetrics:
    """infra.metrics' backend: each name is one of the metrics above, each tag a label."""

    def increment(self, name: MetricName, value: int = 1, tags: Tags | None = None) -> None:
        counter = _COUNTERS[name]
        (counter.labels(**tags) if tags else counter).inc(value)

    def distribution(self, name: MetricName, value: float, tags: Tags | None = None) -> None:
        histogram = _HISTOGRAMS[name]
        (histogram.labels(**tags) if tags else histogram).observe(value)


def install() -> None:
    """Point the lower layers' measurements at this process's registry (idempotent)."""
    configure_metrics(PrometheusMetrics())


class ConsumerOffsets(Protocol):
    def lags(self) -> Iterable[tuple[str, int, int]]:
        """(topic, partition, log end offset - committed offset) of each partition owned."""
        ...


class DeadLetterCounts(Protocol):
    def counts(self) -> dict[str, int]: ...


class _ScrapedSources(Collector):
    """Gauges computed at scrape time from whatever this process hosts (a worker, a DLQ)."""

    def __init__(self) -> None:
        self.consumers: list[ConsumerOffsets] = []
        self.dead_letters: DeadLetterCounts | None = None

    def describe(self) -> Iterable[Metric]:
        return []  # read at scrape time; nothing to declare up front

    def collect(self) -> Iterator[Metric]:
        if self.consumers:
            lag = GaugeMetricFamily(
                "ero_consumer_lag",
                "Records in the log not yet committed by this worker's group, per partition "
                "(log end offset - committed offset) for the partitions this worker owns.",
                labels=["topic", "partition"],
            )
            lags = (lag for consumer in self.consumers for lag in consumer.lags())
            for topic, partition, behind in sorted(lags):
                lag.add_metric([topic, str(partition)], behind)
            yield lag
        if self.dead_letters is not None:
            letters = GaugeMetricFamily(
                "ero_dead_letters",
                "Dead letters kept in ClickHouse, by status (pending = waiting for a fix).",
                labels=["status"],
            )
            try:
                counts = self.dead_letters.counts()
            except Exception:  # a scrape must not fail because ClickHouse is down: /readyz says it
                counts = {}
            for status, count in sorted(counts.items()):
                letters.add_metric([status], count)
            yield letters


_SOURCES = _ScrapedSources()
REGISTRY.register(_SOURCES)


def watch_consumer(offsets: ConsumerOffsets) -> None:
    _SOURCES.consumers.append(offsets)


def watch_dead_letters(counts: DeadLetterCounts) -> None:
    _SOURCES.dead_letters = counts


class FaustConsumerOffsets:
    """Lag from the worker's own Faust consumer: Tansu has no admin offset listing, and the
    consumer already knows each owned partition's highwater (from its fetches) and commit."""

    def __init__(self, app: Any) -> None:
        self._app = app

    def lags(self) -> Iterable[tuple[str, int, int]]:
        # A scrape may come before the worker has made and started its consumer. `app.consumer`
        # would make it here, on the scraping thread, bound to the wrong event loop (the worker
        # then fails to start): until the worker has one running, there is no lag to report.
        consumer = self._app._consumer
        if consumer is None:
            return
        try:
            owned = consumer.assignment()
            found = [(tp, consumer.highwater(tp)) for tp in owned]
        except ConsumerNotStarted:
            return
        for tp, highwater in found:
            if highwater is None:  # not fetched from yet
                continue
            committed = consumer._committed_offset.get(tp) or 0  # the next offset to consume
            yield tp.topic, tp.partition, max(0, int(highwater) - int(committed))


def serve_metrics(host: str, port: int) -> None:
    """For a process without the API (`ero worker`): /metrics on its own port."""
    try:
        start_http_server(port, addr=host)
    except OSError as exc:
        raise ConfigurationError(
            f"cannot serve /metrics on {host}:{port} ({exc.strerror}): "
            "stop what uses that port or set ERO_METRICS_PORT"
        ) from exc
