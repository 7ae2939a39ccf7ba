"""Every name the lower layers measure reaches a Prometheus metric once the root installs it."""

from __future__ import annotations

from typing import get_args

from prometheus_client import REGISTRY

from ero.prometheus import PrometheusMetrics, install
from infra.metrics import MetricName, Tags, metrics

TAGS: dict[str, Tags] = {
    "ingest_events": {"outcome": "accepted"},
    "batch_records": {"topic": "t"},
    "clickhouse_insert_seconds": {"table": "t"},
    "clickhouse_insert_rows": {"table": "t"},
}


def _sample(name: str, tags: Tags) -> float:
    """The counter's total or the histogram's count; 0 before a label set is first used."""
    for suffix in ("_total", "_count"):
        value = REGISTRY.get_sample_value(f"ero_{name}{suffix}", dict(tags))
        if value is not None:
            return value
    return 0.0


def test_every_metric_name_is_exposed() -> None:
    install()
    assert isinstance(metrics(), PrometheusMetrics)
    for name in get_args(MetricName):
        tags = TAGS.get(name, {})
        before = _sample(name, tags)
        if name.endswith(("_seconds", "_rows", "_records")):
            metrics().distribution(name, 1.0, tags)
        else:
            metrics().increment(name, 1, tags)
        assert _sample(name, tags) == before + 1, name
