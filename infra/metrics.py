"""What the lower layers measure, behind a small Protocol the composition root fills in
(as arroyo's `utils/metrics.py`): counters and distributions by name and tags. Until the root
configures a backend (ero/prometheus.py), measurements go nowhere, so a library user or a
test of one stage needs no metrics server.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, Protocol

MetricName = Literal[
    "ingest_events",  # lines received by POST /v1/events; tag outcome
    "batch_records",  # Kafka records per batch a stage consumes; tag topic
    "clickhouse_insert_seconds",  # one ClickHouse insert; tag table
    "clickhouse_insert_rows",  # rows per ClickHouse insert; tag table
    "classification_batch_seconds",  # validating and classifying one batch of raw records
    "classified_events",  # events classified
    "dead_letters_stored",  # dead letters projected into ClickHouse
]
Tags = Mapping[str, str]


class Metrics(Protocol):
    def increment(self, name: MetricName, value: int = 1, tags: Tags | None = None) -> None:
        """Add `value` to a counter. Never blocks, never raises."""

    def distribution(self, name: MetricName, value: float, tags: Tags | None = None) -> None:
        """Record one observation (a duration in seconds, a size). Never blocks, never raises."""


class _Nowhere:
    def increment(self, name: MetricName, value: int = 1, tags: Tags | None = None) -> None:
        pass

    def distribution(self, name: MetricName, value: float, tags: Tags | None = None) -> None:
        pass


_backend: Metrics = _Nowhere()


def configure_metrics(backend: Metrics) -> None:
    """Called once by the composition root."""
    global _backend
    _backend = backend


def metrics() -> Metrics:
    return _backend
