"""Every name the lower layers measure reaches a Prometheus metric once the root installs it."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import get_args

import faust
from prometheus_client import REGISTRY

from ero.prometheus import FaustConsumerOffsets, PrometheusMetrics, install
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


def _scraped(offsets: FaustConsumerOffsets) -> list[tuple[str, int, int]]:
    """The lags as a scrape reads them: from a thread of the HTTP server, not the worker's."""
    with ThreadPoolExecutor(1) as scraper:
        return scraper.submit(lambda: list(offsets.lags())).result()


def test_a_scrape_before_the_worker_has_its_consumer_makes_none() -> None:
    # Made on the scraping thread, the consumer would be bound to another event loop than the
    # worker's, which then failed to start.
    app = faust.App("lag-before-start", broker="kafka://127.0.0.1:1", autodiscover=False)
    assert _scraped(FaustConsumerOffsets(app)) == []
    assert app._consumer is None


def test_a_consumer_not_started_yet_has_no_lag_to_report() -> None:
    app = faust.App("lag-not-started", broker="kafka://127.0.0.1:1", autodiscover=False)
    app.consumer  # made, as the worker makes it, but its thread not started  # noqa: B018
    assert _scraped(FaustConsumerOffsets(app)) == []
