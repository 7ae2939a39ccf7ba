from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from projections.clickhouse import ClickHouse
from projections.migrations import migrate
from tests.pipeline import Pipeline

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "sync_messages.jsonl"


@pytest.fixture(scope="session")
def corpus_path() -> Path:
    if not CORPUS.exists():
        pytest.fail(f"the shared corpus is missing at {CORPUS}")
    return CORPUS


@pytest.fixture(scope="session")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    """One embedded pipeline for the suite; small request limits so 413s are cheap to provoke."""
    running = Pipeline(
        tmp_path_factory.mktemp("pipeline"),
        ERO_MAX_EVENTS_PER_REQUEST="2000",
        ERO_MAX_REQUEST_BYTES=str(1024 * 1024),
    ).start()
    yield running
    assert running.stop() == 0


@pytest.fixture(scope="session")
def clickhouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClickHouse]:
    """The test process's own chdb (one data path per process: every in-process test shares it),
    migrated like a real deployment."""
    engine = ClickHouse(f"chdb://{tmp_path_factory.mktemp('chdb')}")
    migrate(engine, retention_days=90)
    yield engine
    engine.close()
