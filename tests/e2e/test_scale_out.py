"""Scale-out on the embedded broker: a second worker process joins the consumer group and
classifies its share of the raw topic; ClickHouse stays with the process owning the chdb path
(ERO_WORKER_ROLES=classify, while `ero run` classifies and projects: same code, configured),
and archives the whole raw topic. Killing the helper (kill -9) mid-run loses nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.factories import sync_line
from tests.support.pipeline import Pipeline, scaled_out, wait_until
from tests.support.readers import Reader, post

pytestmark = pytest.mark.pipeline


def test_a_classify_only_worker_shares_the_raw_topic_and_its_kill_loses_nothing(
    tmp_path: Path,
) -> None:
    # The process owning ClickHouse classifies its share and projects everyone's.
    with scaled_out(tmp_path) as both:
        pipeline, process = both.pipeline, both.helper_process
        assert not (tmp_path / "helper" / "clickhouse").exists(), "it never opens ClickHouse"

        licence = pipeline.demo_licence
        expected: set[str] = set()
        for batch in range(40):
            lines = [
                sync_line(connector_id=f"c{batch % 4}", message=f"{batch}-{n}") for n in range(100)
            ]
            post(pipeline, licence, lines)
            expected |= {line["event_id"] for line in lines}
            if batch == 10:
                process.kill()
                assert process.wait(timeout=30) < 0

        reader = Reader(pipeline, licence)
        wait_until(lambda: reader.count() >= len(expected), timeout=120)
        snapshot = reader.snapshot()
        assert {event_id for event_id, _, _ in snapshot["reports"]} == expected
        assert len(snapshot["reports"]) == len(expected)
        assert snapshot["dashboard"]["levels"]["success"]["count"] == len(expected)
    # The project process archived the helper's partitions too (classify-only workers have no
    # ClickHouse): every record once.
    rebuilt = pipeline.ero("rebuild", "--from-archive")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert f"replayed {len(expected):,} events from archive; kept 0 more" in rebuilt.stdout


def test_an_unknown_worker_role_is_one_clear_line(tmp_path: Path) -> None:
    done = Pipeline(tmp_path / "var").ero("worker", ERO_WORKER_ROLES="classify,index")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1, done.stderr
    assert "ERO_WORKER_ROLES" in done.stderr
    assert "classify, classify-and-project, project" in done.stderr
