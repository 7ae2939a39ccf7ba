"""Every `ero-bench` command, run as a user runs it (the installed script, a child process) at a
tiny size, prints its figures: a benchmark that stopped working fails here, not on the day
someone needs its numbers. The figures' values are not judged (a benchmark is not a test);
that they are there, and numbers, is."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench.pipeline import checkout
from tests.support.pipeline import BIN, REPO, Pipeline

pytestmark = pytest.mark.pipeline

NUMBER = r"[\d,]+(?:\.\d+)?"


def ero_bench(
    *args: str, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "ero-bench"), *args],
        env=env if env is not None else dict(os.environ),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def succeeded(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    return done.stdout


def test_queries_prints_a_row_of_timings_per_endpoint(tmp_path: Path) -> None:
    env = {**os.environ, "ERO_DATA_DIR": str(tmp_path)}
    out = succeeded(ero_bench("queries", "--events", "100000", "--repeat", "2", env=env))
    assert out.startswith("100,000 events, 1,000 licences, 10,000 connectors, over 30 days;")
    big = re.search(rf"big licence ({NUMBER}) events", out)
    assert big is not None, out
    timings = re.findall(rf"^\| ([^|]+) \|(?: {NUMBER} \|){{4}} {NUMBER}x \|$", out, re.M)
    assert timings == [
        "dashboard 48h",
        "dashboard 48h (big licence)",
        "reference lookup",
        "reference lookup (big licence)",
        "reference prefix",
        "message search 48h",
        "message search 48h (big licence)",
        "message search 30 d, errors",
        "report first page",
        "console: error groups 24 h, ranked by licences",
        "console: error groups 7 d, ranked by licences",
        "trends 7d by hour",
    ], out
    api_only = re.findall(
        rf"^\| (console: [^|]+) \| {NUMBER} \| {NUMBER} \| n/a \| n/a \| n/a \|$", out, re.M
    )
    assert api_only == [
        "console: one group, its licences and versions involved (4 statements)",
        "console: licences, first page (status, last sync, versions, owners)",
        "console: silent licences 24 h, first page",
        "console: support inbox, first page",
    ], out
    # The export streams every event of the big licence.
    assert f"export csv (big licence): {big.group(1)} rows in " in out, out


def test_queries_refuses_a_dataset_too_small_in_one_line(tmp_path: Path) -> None:
    done = ero_bench("queries", "--events", "10", env={**os.environ, "ERO_DATA_DIR": str(tmp_path)})
    assert done.returncode == 2
    assert done.stderr == "ero-bench: error: use --events 100000 or more and --repeat 2 or more\n"


def test_classify_prints_microseconds_per_event() -> None:
    out = succeeded(ero_bench("classify", "--events", "2000"))
    assert re.search(
        rf"^fleet mix +{NUMBER} us/event +\({NUMBER} events/s, 2,000 events", out, re.M
    )
    assert re.search(rf"^new shape +{NUMBER} us/event +\(uncached path, \d+ shapes\)", out, re.M)
    assert re.search(rf"^hostile +{NUMBER} us/event +\(uncached, 60 messages of 16 KiB", out, re.M)


def test_post_prints_accept_and_end_to_end_rates(pipeline: Pipeline) -> None:
    env = {**pipeline.env, "ERO_API_URL": pipeline.url}
    out = succeeded(ero_bench("post", "--events", "2000", "--batch", "500", env=env))
    assert "events posted        2000 (batches of 500)" in out
    assert re.search(rf"^accepted \(HTTP 202\) +{NUMBER} events/s", out, re.M), out
    assert re.search(rf"^end to end +{NUMBER} events/s", out, re.M), out


def test_post_without_a_running_pipeline_says_so_in_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "ERO_DATA_DIR": str(tmp_path), "ERO_API_URL": "http://127.0.0.1:9"}
    done = ero_bench("post", "--events", "10", env=env)
    assert done.returncode == 2
    assert done.stderr.startswith(
        "ero-bench: error: no ERO API answers at http://127.0.0.1:9: start `ero run`"
    ), done.stderr
    assert done.stderr.count("\n") == 1, done.stderr


def test_pipeline_prints_every_phase_and_each_installed_contender() -> None:
    """The smallest run its arguments allow: one run of 500 lines per connector, a few seconds
    of sustained load, 1 000 events per job on one workload shape, no wait for a quiet machine
    (the suite keeps it busy). Every contender is a process with its own group join (10-30 s
    each here): one shape keeps the test short."""
    done = ero_bench(
        "pipeline",
        "--http-events",
        "4000",
        "--sustain-minutes",
        "0.05",
        "--job-events",
        "1000",
        "--repeat",
        "1",
        "--quiet-timeout",
        "0",
        "--shape",
        "single",
        "--baseline",
        "no-such-revision",  # the baseline's own run is covered by test_checkout_*: the table here
        timeout=600,
    )
    out = succeeded(done)
    rate = rf"{NUMBER} ev/s"
    assert re.search(rf"^\| ingest HTTP, one `ero api` process, .* \| {rate} \|$", out, re.M), out
    assert re.search(
        rf"^\| ingest request latency p50 / p99 \| {NUMBER} / {NUMBER} ms \|$", out, re.M
    )
    peer = re.search(rf"^\| ingest HTTP, peer: .* \| ({NUMBER}) ev/s \|$", out, re.M)
    assert peer, out
    assert float(peer.group(1).replace(",", "")) > 0, "the peer accepted the fleet's events"
    assert re.search(
        rf"^\| peer request latency p50 / p99 \| {NUMBER} / {NUMBER} ms \|$", out, re.M
    )
    ratio = rf"^\| ingest ours / peer: rate, p99 \| {NUMBER}x, {NUMBER} vs {NUMBER} ms \|$"
    assert re.search(ratio, out, re.M), out
    assert re.search(
        rf"^\| end to end, `ero run` .* \| {rate} \(accepted at {NUMBER}\) \|$", out, re.M
    )
    baseline = r"^\| end to end, `ero run` of no-such-revision \| skipped: .*no-such-revision.* \|$"
    assert re.search(baseline, out, re.M), out
    assert re.search(rf"^\| freshness .* \(\d+ probes\) \| {NUMBER} / {NUMBER} s \|$", out, re.M)
    alerts = rf"^\| alert latency .* \((\d+) probes, .*\) \| ({NUMBER}) / {NUMBER} s \|$"
    told = re.search(alerts, out, re.M)
    assert told, out
    assert int(told.group(1)) >= 1
    assert float(told.group(2).replace(",", "")) < 120, "the probe's alert arrived"
    assert re.search(rf"^\| `ero run` RSS, MB: start -> .* \| {NUMBER} -> {NUMBER} ", out, re.M)
    assert "| job: consume -> classify -> insert | single |" in out
    job = rf"{rate}, {NUMBER} us CPU/ev \+ {NUMBER} in the broker \({NUMBER} MB\)"
    for label in ("ours (ero worker", "ours without the", "Faust, per event", "floor: aiokafka"):
        assert re.search(rf"^\| {re.escape(label)}[^|]* \| {job} \|$", out, re.M), out
    versus = rf"{NUMBER}x \({NUMBER} / {NUMBER} us\)"
    assert re.search(rf"^\| CPU per event \(\+ broker's\), ours / floor \| {versus} \|$", out, re.M)
    share = rf"[+-]{NUMBER} % \({NUMBER} / {NUMBER} us\)"
    assert re.search(rf"^\| CPU per event .*, alert desks' share \| {share} \|$", out, re.M), out
    if importlib.util.find_spec("quixstreams") is None:
        skipped = "skipped: quixstreams not installed (pip install -e '.[bench]')"
        assert f"| Quix Streams | {skipped} |" in out, out
        assert "job: skipping quix: quixstreams not installed" in done.stderr
        assert "| ours / Quix Streams | n/a |" in out
    else:
        assert re.search(rf"^\| Quix Streams \| {job} \|$", out, re.M), out
        assert re.search(rf"^\| ours / Quix Streams \| {NUMBER}x \|$", out, re.M), out


def test_checkout_extracts_a_revision_that_runs(tmp_path: Path) -> None:
    """What `--baseline` runs: the project at a revision, in a folder of its own."""
    assert checkout("HEAD", tmp_path / "code") is None
    done = subprocess.run(
        [sys.executable, "-c", "import ero.cli, sys; print(ero.cli.__file__)"],
        cwd=tmp_path / "code",
        env={**os.environ, "PYTHONPATH": str(tmp_path / "code")},
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == str(tmp_path / "code" / "ero" / "cli" / "__init__.py")
    assert checkout("no-such-revision", tmp_path / "other") is not None
