"""`ero-bench pipeline`: ingest, end to end, freshness, the job against peers, and worker RSS,
in one run, on one embedded broker and the chdb engine. Progress on stderr, the table on stdout.

1. HTTP: a fleet (the SDK) posts as fast as one `ero api` process (no worker in it) accepts ->
   accepted events/s and request latency; the same fleet then posts to the ingest peer (a plain
   FastAPI + aiokafka gateway, bench/peers/gateway.py) on the same broker; then to `ero run`
   (API and worker in one process) -> end to end (first POST -> every event counted by
   /v1/dashboard).
2. Sustained load at 80 % of that end-to-end rate for `sustain` seconds: freshness probes
   (one event posted, then polled in /v1/reports until visible) and the RSS of the `ero run`
   process (worker + API) and of the broker sampled throughout (`ero run` recycles the
   memory-only broker's topics as it does with its embedded one: streaming/recycle.py).
3. The job alone (consume -> classify -> insert) by ours and by each peer, on both workload
   shapes, each contender a fresh process reading the same preloaded topic.
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib.util
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import orjson

from bench.alert_probe import probe_alerts
from bench.console import say
from bench.ingest_peer import PeerGateway
from bench.job import CONTENDERS
from bench.job_spec import JobResult
from bench.measure import rss_mb
from bench.workload import SHAPES, events, produce
from ero.deployment import EMBEDDED_RECYCLE_BYTES
from infra.broker import EmbeddedBroker, free_port
from ingest.fleet import Fleet, FleetFigures, FleetShape, Templates, fleet_progress, percentile
from licences import Credentials

# The package a peer needs, from the `bench` extra: a peer whose package is missing is skipped,
# and the table says so.
PEER_PACKAGES = {"quix": "quixstreams"}
BASELINE = "baseline"
"""The job of `ours` at the baseline revision (`--baseline`), run beside the others."""
LABELS = {
    "ours": "ours (ero worker: hot stage, feed published, raw archived)",
    "bare": "ours without the alert and ticket desks",
    "quix": "Quix Streams",
    "faust": "Faust, per event",
    "floor": "floor: aiokafka + insert, no classify",
}


SUSTAINED_SHARE = 0.8
"""The sustained phase's load, as a share of the end-to-end maximum."""


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def _busy_cores(window: float = 1.0) -> float:
    """Cores' worth of CPU the whole machine used over the window (/proc/stat)."""

    def sample() -> tuple[int, int]:
        ticks = [int(value) for value in Path("/proc/stat").read_text().split()[1:9]]
        idle = ticks[3] + ticks[4]  # idle, iowait
        return sum(ticks) - idle, sum(ticks)

    busy_before, total_before = sample()
    time.sleep(window)
    busy, total = sample()
    cores = os.cpu_count() or 1
    return cores * (busy - busy_before) / max(total - total_before, 1)


def wait_until_quiet(limit: float = 0.25, timeout: float = 60.0) -> None:
    """Wait until the machine runs at most `limit` cores' worth of anything (the broker
    digesting a preload, a previous contender's or phase's processes winding down), so that no
    contender starts on a busier machine than the next."""
    deadline = time.monotonic() + timeout
    busy = _busy_cores()
    waited = False
    while busy > limit and time.monotonic() < deadline:
        waited = True
        sys.stderr.write(f"\rwaiting for a quiet machine: {busy:.2f} cores busy  ")
        busy = _busy_cores()
    if waited:
        sys.stderr.write(f"\rwaited for a quiet machine: {busy:.2f} cores busy  \n")


@dataclass
class Figures:
    load_start: str = field(default_factory=load_average)
    ingest_rate: float = 0.0
    ingest_p50: float = 0.0
    ingest_p99: float = 0.0
    peer_ingest_rate: float = 0.0
    peer_ingest_p50: float = 0.0
    peer_ingest_p99: float = 0.0
    shared_ingest_rate: float = 0.0
    end_to_end_rate: float = 0.0
    baseline: str = ""
    """The git revision whose `ero run` ran end to end beside ours (empty: none)."""
    baseline_rate: float = 0.0
    baseline_skipped: str = ""
    """Why the baseline did not run, if it was asked for and could not."""
    sustained_rate: float = 0.0
    sustained_seconds: float = 0.0
    fresh_p50: float = 0.0
    fresh_p99: float = 0.0
    probes: int = 0
    alert_p50: float = 0.0
    alert_p99: float = 0.0
    alert_probes: int = 0
    rss: list[tuple[float, float]] = field(default_factory=list)
    broker_rss: list[tuple[float, float]] = field(default_factory=list)
    broker_peak: float = 0.0
    """The broker's largest RSS, sampled at each freshness probe (it falls at each recycle)."""
    jobs: dict[tuple[str, str], list[JobResult]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    """Contenders not run, and why."""
    shapes: tuple[str, ...] = tuple(SHAPES)
    """The workload shapes the jobs ran on."""

    def table(self) -> str:
        rows = [
            "| | |",
            "|---|---|",
            "| ingest HTTP, one `ero api` process, accepted (8 connectors, runs of 500 lines) | "
            f"{self.ingest_rate:,.0f} ev/s |",
            f"| ingest request latency p50 / p99 | {self.ingest_p50 * 1000:.0f} / "
            f"{self.ingest_p99 * 1000:.0f} ms |",
            "| ingest HTTP, peer: one FastAPI + aiokafka process, one send per batch, same fleet "
            f"| {self.peer_ingest_rate:,.0f} ev/s |",
            f"| peer request latency p50 / p99 | {self.peer_ingest_p50 * 1000:.0f} / "
            f"{self.peer_ingest_p99 * 1000:.0f} ms |",
            f"| ingest ours / peer: rate, p99 | {self._ingest_ratio()} |",
            f"| end to end, `ero run` (first POST -> all counted by /v1/dashboard) | "
            f"{self.end_to_end_rate:,.0f} ev/s (accepted at {self.shared_ingest_rate:,.0f}) |",
            *self._baseline_rows(),
            f"| freshness (accept -> in /v1/reports) p50 / p99 at {self.sustained_rate:,.0f} ev/s"
            f" ({self.probes} probes) | {self.fresh_p50:.2f} / {self.fresh_p99:.2f} s |",
            f"| alert latency (error accepted -> webhook received, a new group) p50 / p99 at the "
            f"same load ({self.alert_probes} probes, desk pass every 10 s) | "
            f"{self.alert_p50:.1f} / {self.alert_p99:.1f} s |",
        ]
        for label, samples in (("`ero run`", self.rss), ("broker", self.broker_rss)):
            if samples:
                trend = ", ".join(f"{mb:.0f}" for _, mb in samples)
                rows.append(
                    f"| {label} RSS, MB: start -> after {self.sustained_seconds / 60:.1f} min "
                    f"| {samples[0][1]:.0f} -> {samples[-1][1]:.0f} (samples: {trend}) |"
                )
        if self.broker_rss:
            peak = f"{self.broker_peak:.0f} MB"
            rows.append(f"| broker RSS at most (sampled at each probe) | {peak} |")
        rows += ["", "| job: consume -> classify -> insert | " + " | ".join(self.shapes) + " |"]
        rows.append("|---|" + "---|" * len(self.shapes))
        for contender in self._contenders():
            cells = []
            for shape in self.shapes:
                results = self.jobs.get((contender, shape), [])
                if results:
                    rate = statistics.median(result.rate for result in results)
                    cpu = statistics.median(result.cpu_us_per_event for result in results)
                    broker = statistics.median(r.broker_cpu_us_per_event for r in results)
                    rss = max(result.rss_mb for result in results)
                    cells.append(
                        f"{rate:,.0f} ev/s, {cpu:.1f} us CPU/ev + {broker:.1f} in the broker "
                        f"({rss:.0f} MB)"
                    )
                elif contender in self.skipped:
                    cells.append(f"skipped: {self.skipped[contender]}")
                else:
                    cells.append("n/a")
            rows.append(f"| {self._label(contender)} | " + " | ".join(cells) + " |")
        rows.append("| ours / Quix Streams | " + " | ".join(self._rate_ratios("quix")) + " |")
        if any(key[0] == BASELINE for key in self.jobs):
            ratios = " | ".join(self._rate_ratios(BASELINE))
            rows.append(f"| ours / ours at {self.baseline} | {ratios} |")
            rows.append(
                self._cpu_row(
                    f"CPU per event (+ broker's), ours against ours at {self.baseline}",
                    BASELINE,
                    "%",
                )
            )
        rows.append(self._cpu_row("CPU per event (+ broker's), ours / floor", "floor", "x"))
        rows.append(self._cpu_row("CPU per event (+ broker's), alert desks' share", "bare", "%"))
        rows += [
            "",
            f"load average (1, 5, 15 min): {self.load_start} at start, {load_average()} at the end",
        ]
        return "\n".join(rows)

    def _contenders(self) -> list[str]:
        contenders = list(CONTENDERS)
        if any(key[0] == BASELINE for key in self.jobs):
            contenders.insert(1, BASELINE)
        return contenders

    def _label(self, contender: str) -> str:
        return f"ours at {self.baseline}" if contender == BASELINE else LABELS[contender]

    def _rate_ratios(self, against: str) -> list[str]:
        """Per shape: our median rate over `against`'s."""
        ratios = []
        for shape in self.shapes:
            ours, other = self.jobs.get(("ours", shape)), self.jobs.get((against, shape))
            if ours and other:
                rate = statistics.median(r.rate for r in ours)
                ratios.append(f"{rate / statistics.median(r.rate for r in other):.2f}x")
            else:
                ratios.append("n/a")
        return ratios

    def _baseline_rows(self) -> list[str]:
        if self.baseline_skipped:
            return [
                f"| end to end, `ero run` of {self.baseline} | skipped: {self.baseline_skipped} |"
            ]
        if not self.baseline or not self.baseline_rate:
            return []
        ratio = self.end_to_end_rate / self.baseline_rate
        return [
            f"| end to end, `ero run` of {self.baseline} (the same load, the same run) | "
            f"{self.baseline_rate:,.0f} ev/s |",
            f"| end to end, ours / {self.baseline} | {ratio:.2f}x |",
        ]

    def _cpu(self, contender: str, shape: str) -> float | None:
        """Median CPU per event of the contender's runs, the broker's share included."""
        results = self.jobs.get((contender, shape))
        if not results:
            return None
        return statistics.median(r.cpu_us_per_event + r.broker_cpu_us_per_event for r in results)

    def _cpu_row(self, label: str, against: str, unit: str) -> str:
        cells = []
        for shape in self.shapes:
            ours, other = self._cpu("ours", shape), self._cpu(against, shape)
            if ours is None or not other:
                cells.append("n/a")
            elif unit == "x":
                cells.append(f"{ours / other:.2f}x ({ours:.1f} / {other:.1f} us)")
            else:
                cells.append(f"{(ours - other) / other * 100:+.1f} % ({ours:.1f} / {other:.1f} us)")
        return f"| {label} | " + " | ".join(cells) + " |"

    def _ingest_ratio(self) -> str:
        if not self.peer_ingest_rate:
            return "n/a"
        ours, peer = self.ingest_p99 * 1000, self.peer_ingest_p99 * 1000
        return f"{self.ingest_rate / self.peer_ingest_rate:.2f}x, {ours:.0f} vs {peer:.0f} ms"


# --- 3. the job against peers -------------------------------------------------------------


def missing_peers() -> dict[str, str]:
    """The peers whose package is not installed, each with why it cannot run."""
    return {
        contender: f"{package} not installed (pip install -e '.[bench]')"
        for contender, package in PEER_PACKAGES.items()
        if importlib.util.find_spec(package) is None
    }


def run_jobs(
    figures: Figures,
    broker: EmbeddedBroker,
    workdir: Path,
    count: int,
    repeat: int,
    corpora: list[Path],
    quiet_timeout: float = 60.0,
    baseline_code: Path | None = None,
) -> None:
    """`baseline_code`: the baseline revision's project, whose `ours` runs second."""
    figures.skipped = missing_peers()
    for contender, reason in figures.skipped.items():
        say(f"job: skipping {contender}: {reason}")
    contenders = [c for c in CONTENDERS if c not in figures.skipped]
    if baseline_code is not None:
        contenders.insert(1, BASELINE)
    workload = events(corpora, count)
    for shape in figures.shapes:
        per_record = SHAPES[shape]
        topic = f"bench.{shape}"
        asyncio.run(produce(broker.bootstrap, topic, workload, per_record))
        for attempt in range(repeat):
            for contender in contenders:
                run = f"{shape}-{attempt}-{uuid.uuid4().hex[:6]}"
                if quiet_timeout > 0:
                    wait_until_quiet(timeout=quiet_timeout)
                broker_cpu = broker.cpu_seconds()
                code = baseline_code if contender == BASELINE else None
                data = workdir / contender / run
                result = _run_job(contender, broker.bootstrap, topic, count, data, run, code)
                result = dataclasses.replace(
                    result, broker_cpu_seconds=broker.cpu_seconds() - broker_cpu
                )
                figures.jobs.setdefault((contender, shape), []).append(result)
                say(
                    f"job {shape:8} {contender:6} {result.rate:10,.0f} ev/s  "
                    f"({result.seconds:.2f} s, {result.cpu_us_per_event:.1f} us CPU/event "
                    f"+ {result.broker_cpu_us_per_event:.1f} in the broker, "
                    f"RSS {result.rss_mb:.0f} MB, load {load_average()})"
                )


def _run_job(
    contender: str,
    bootstrap: str,
    topic: str,
    count: int,
    data: Path,
    run: str,
    code: Path | None = None,
) -> JobResult:
    """`code`: another revision's project, whose `ours` runs (from its folder, its packages
    first)."""
    data.mkdir(parents=True)
    env = {**os.environ, "PYTHONPATH": str(code)} if code is not None else None
    runs = "ours" if code is not None else contender
    command = [sys.executable, "-m", "bench.job", runs, "--bootstrap", bootstrap]
    command += ["--topic", topic, "--events", str(count), "--data", str(data), "--run", run]
    with (data / "job.log").open("wb") as log:
        done = subprocess.run(
            command,
            stdout=subprocess.PIPE,
            stderr=log,
            timeout=900,
            check=False,
            cwd=code,
            env=env,
        )
    if done.returncode != 0 or not done.stdout.strip():
        tail = (data / "job.log").read_text(errors="replace")[-2000:]
        raise RuntimeError(f"contender {contender} failed ({done.returncode}): {tail}")
    return JobResult(**orjson.loads(done.stdout.splitlines()[-1]))


# --- 1 and 2. HTTP, end to end, freshness, RSS --------------------------------------------


class RunningPipeline:
    """`ero run` (or `ero api` alone) as a child process on the bench's broker, as a user
    starts it. Each on topics of its own (named after its data folder): `ero run` must not
    start with the ingest phase's 200 000 events waiting in its raw topic, which its worker
    would classify and store while the end-to-end clock runs."""

    def __init__(
        self, bootstrap: str, data_dir: Path, command: str = "run", code: Path | None = None
    ) -> None:
        """The bench's broker is a memory-only Tansu, as the embedded one: `ero run` recycles
        its topics as it does by default with its own (or as ERO_BROKER_RECYCLE_BYTES says).
        `code`: a folder holding another revision of the project, whose `ero` runs instead
        (on this environment's packages)."""
        self.url = f"http://127.0.0.1:{free_port()}"
        self.operator_token = "ero_op_" + secrets.token_urlsafe(16)
        env = {
            **os.environ,
            "ERO_DATA_DIR": str(data_dir),
            "ERO_API_PORT": self.url.rsplit(":", 1)[1],
            "ERO_KAFKA_BOOTSTRAP": bootstrap,
            "ERO_TOPIC_PREFIX": f"bench-{data_dir.name}",
            "ERO_OPERATOR_TOKEN": self.operator_token,
            "ERO_LOG_LEVEL": "WARNING",
            "ERO_BROKER_RECYCLE_BYTES": os.environ.get(
                "ERO_BROKER_RECYCLE_BYTES", str(EMBEDDED_RECYCLE_BYTES)
            ),
        }
        data_dir.mkdir(parents=True, exist_ok=True)
        ero = [str(Path(sys.executable).parent / "ero")]
        if code is not None:  # its packages first, from its folder
            env["PYTHONPATH"] = str(code)
            ero = [sys.executable, "-c", "from ero.cli import main; main()"]
        with (data_dir / "run.log").open("ab") as log:
            self.process = subprocess.Popen(
                [*ero, command], env=env, stdout=log, stderr=log, cwd=code
            )
        deadline = time.monotonic() + 120
        while not self._healthy():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"`ero {command}` did not start: see {data_dir / 'run.log'}")
            time.sleep(0.2)

    def _healthy(self) -> bool:
        try:
            return httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def licence(self, name: str) -> Credentials:
        response = httpx.post(
            f"{self.url}/v1/admin/licences",
            json={"name": name},
            headers={"Authorization": f"Bearer {self.operator_token}"},
            timeout=30,
        )
        response.raise_for_status()
        return Credentials.model_validate_json(response.content)

    def rss_mb(self) -> float:
        return rss_mb(self.process.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=120)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


async def _counted(client: httpx.AsyncClient, licences: list[Credentials]) -> int:
    total = 0
    for licence in licences:
        headers = {"Authorization": f"Bearer {licence.reader_token}"}
        dashboard = (await client.get("/v1/dashboard", headers=headers)).json()
        total += sum(level["count"] for level in dashboard["levels"].values())
    return total


async def post_fleet(
    pipeline: RunningPipeline, count: int, corpora: list[Path], label: str
) -> tuple[list[Credentials], FleetFigures]:
    """8 connectors of 4 licences post runs of 500 lines (drawn before the clock) at once."""
    licences = [pipeline.licence(f"bench {label} {n}") for n in range(4)]
    return licences, await post_fleet_to(pipeline.url, licences, count, corpora, label)


async def post_fleet_to(
    url: str, licences: list[Credentials], count: int, corpora: list[Path], label: str
) -> FleetFigures:
    """The fleet of `post_fleet`, on the given gateway with the given (4) licences."""
    shape = FleetShape(
        licences=4,
        connectors_per_licence=2,
        runs=max(1, count // (8 * 500)),
        min_lines=500,
        max_lines=500,
    )
    total = shape.connectors * shape.runs * 500
    templates = Templates(corpora)
    fleet = Fleet(url, licences, shape, templates, progress=fleet_progress(label, total))
    posted = await fleet.run(pregenerate=True)
    say("")
    return posted


def measure_ingest(
    figures: Figures,
    api: RunningPipeline,
    peer: PeerGateway,
    count: int,
    corpora: list[Path],
    quiet_timeout: float = 60.0,
) -> None:
    """`ero api` alone (no worker in its process): what one API process accepts; then the
    ingest peer, with the same fleet, once `ero api` has stopped. Each once the machine is
    quiet (`quiet_timeout` 0: no wait), so that neither starts on a busier machine."""
    # Licences first: each one's creation waits out the control projection, which no worker
    # applies beside `ero api` alone, and the clock starts on a quiet machine after it.
    licences = [api.licence(f"bench ingest {n}") for n in range(4)]
    if quiet_timeout > 0:
        wait_until_quiet(timeout=quiet_timeout)
    posted = asyncio.run(post_fleet_to(api.url, licences, count, corpora, "ingest, ero api alone"))
    figures.ingest_rate = posted.accepted / posted.seconds
    figures.ingest_p50, figures.ingest_p99 = posted.percentile(0.5), posted.percentile(0.99)
    say(f"ingest (ero api alone) {figures.ingest_rate:,.0f} ev/s")
    api.stop()
    peer.start()
    try:
        if quiet_timeout > 0:
            wait_until_quiet(timeout=quiet_timeout)
        posted = asyncio.run(post_fleet_to(peer.url, peer.licences, count, corpora, "ingest, peer"))
    finally:
        peer.stop()
    if posted.accepted != posted.lines:
        raise RuntimeError(f"the ingest peer accepted {posted.accepted} of {posted.lines} lines")
    figures.peer_ingest_rate = posted.accepted / posted.seconds
    figures.peer_ingest_p50 = posted.percentile(0.5)
    figures.peer_ingest_p99 = posted.percentile(0.99)
    say(f"ingest (peer) {figures.peer_ingest_rate:,.0f} ev/s")


async def end_to_end(
    pipeline: RunningPipeline, count: int, corpora: list[Path], label: str
) -> tuple[float, float]:
    """`ero run` (API and worker in one process): first POST -> all counted by /v1/dashboard;
    (end-to-end rate, accept rate)."""
    started = time.perf_counter()
    licences, posted = await post_fleet(pipeline, count, corpora, label)
    async with httpx.AsyncClient(base_url=pipeline.url, timeout=60) as client:
        while (counted := await _counted(client, licences)) < posted.accepted:
            sys.stderr.write(f"\rqueryable {counted:,}/{posted.accepted:,}  ")
            await asyncio.sleep(0.05)
    rate = posted.accepted / (time.perf_counter() - started)
    say(f"\n{label}: {rate:,.0f} ev/s")
    return rate, posted.accepted / posted.seconds


async def measure_end_to_end(
    figures: Figures, pipeline: RunningPipeline, count: int, corpora: list[Path]
) -> None:
    figures.end_to_end_rate, figures.shared_ingest_rate = await end_to_end(
        pipeline, count, corpora, "end to end, ero run"
    )


def checkout(revision: str, into: Path) -> str | None:
    """The project at `revision` extracted into `into`; None, or why it cannot be."""
    root = Path(__file__).resolve().parents[1]
    try:
        archive = subprocess.run(
            ["git", "-C", str(root), "archive", "--format=tar", revision],
            capture_output=True,
            check=False,
        )
    except OSError as exc:  # no git here
        return str(exc)
    if archive.returncode != 0:
        said = archive.stderr.decode(errors="replace").strip().splitlines()
        return said[-1] if said else f"git archive {revision} failed"
    into.mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return None


def measure_baseline(
    figures: Figures,
    broker: EmbeddedBroker,
    workdir: Path,
    code: Path,
    count: int,
    corpora: list[Path],
) -> None:
    """The baseline revision's `ero run` (its project in `code`), end to end under the same
    load as ours."""
    old = RunningPipeline(broker.bootstrap, workdir / "baseline", code=code)
    try:
        label = f"end to end, ero run of {figures.baseline}"
        figures.baseline_rate, _ = asyncio.run(end_to_end(old, count, corpora, label))
    finally:
        old.stop()


async def measure_sustained(
    figures: Figures,
    pipeline: RunningPipeline,
    broker: EmbeddedBroker,
    seconds: float,
    corpora: list[Path],
) -> None:
    """SUSTAINED_SHARE of the end-to-end maximum for `seconds`: freshness probes and RSS
    samples of `ero run` and of the broker, every 30 s."""
    figures.sustained_rate = figures.end_to_end_rate * SUSTAINED_SHARE
    figures.sustained_seconds = seconds
    licences = [pipeline.licence(f"bench sustained {n}") for n in range(10)]
    shape = FleetShape(licences=10, connectors_per_licence=4, runs=1_000_000, pause_seconds=0)
    fleet = Fleet(
        pipeline.url,
        licences,
        shape,
        Templates(corpora),
        rate=figures.sustained_rate,
        stop_after=seconds,
        progress=fleet_progress(
            f"sustained {seconds:.0f} s", int(figures.sustained_rate * seconds)
        ),
    )
    probe = pipeline.licence("bench freshness probe")
    alerted = pipeline.licence("bench alert probe")
    figures.rss.append((0.0, pipeline.rss_mb()))
    figures.broker_rss.append((0.0, rss_mb(broker.pid)))
    load = asyncio.create_task(fleet.run())
    delays: list[float] = []
    started = time.monotonic()
    async with httpx.AsyncClient(base_url=pipeline.url, timeout=60) as client:
        alerts = asyncio.create_task(probe_alerts(client, alerted, load))
        next_rss = 30.0
        while not load.done():
            delays.append(await _probe(client, probe))
            figures.broker_peak = max(figures.broker_peak, rss_mb(broker.pid))
            elapsed = time.monotonic() - started
            if elapsed >= next_rss:
                figures.rss.append((elapsed, pipeline.rss_mb()))
                figures.broker_rss.append((elapsed, rss_mb(broker.pid)))
                next_rss += 30.0
            await asyncio.sleep(0.25)
        await load
        latencies = await alerts
    elapsed = time.monotonic() - started
    figures.rss.append((elapsed, pipeline.rss_mb()))
    figures.broker_rss.append((elapsed, rss_mb(broker.pid)))
    say("")
    figures.probes = len(delays)
    figures.fresh_p50, figures.fresh_p99 = percentile(delays, 0.5), percentile(delays, 0.99)
    figures.alert_probes = len(latencies)
    figures.alert_p50, figures.alert_p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)


async def _probe(client: httpx.AsyncClient, licence: Credentials) -> float:
    reference = f"PROBE-{uuid.uuid4().hex[:12]}"
    line = {
        "connector_id": "probe",
        "occurred_at": datetime.now(UTC).isoformat(),
        "operation": "order.import",
        "reference": reference,
        "status": "ok",
        "message": f"Commande {reference} importée",
    }
    writer = {"Authorization": f"Bearer {licence.connector_key}"}
    reader = {"Authorization": f"Bearer {licence.reader_token}"}
    response = await client.post("/v1/events", json=[line], headers=writer)
    response.raise_for_status()
    accepted = time.perf_counter()
    while True:
        found = await client.get(
            "/v1/reports", params={"reference": reference, "limit": 1}, headers=reader
        )
        if found.json()["items"]:
            return time.perf_counter() - accepted
        await asyncio.sleep(0.01)


def bench_pipeline(
    corpora: list[Path],
    http_events: int,
    job_events: int,
    sustain: float,
    repeat: int,
    quiet_timeout: float = 60.0,
    shapes: tuple[str, ...] = tuple(SHAPES),
    baseline: str = "",
) -> Figures:
    """`quiet_timeout`: how long to wait, before each contender, for the machine to be quiet
    (0: do not wait); `shapes`: the workload shapes of the jobs (bench/workload.py);
    `baseline`: a git revision whose `ero run` is measured end to end beside ours."""
    figures = Figures(shapes=shapes, baseline=baseline)
    say(f"load average {figures.load_start}")
    with tempfile.TemporaryDirectory(prefix="ero-bench-") as tmp, EmbeddedBroker() as broker:
        workdir = Path(tmp)
        code: Path | None = None
        if baseline:
            code = workdir / "baseline-code"
            why = checkout(baseline, code)
            if why is not None:
                figures.baseline_skipped, code = why, None
                say(f"baseline {baseline}: skipped: {why}")
        if http_events:
            api = RunningPipeline(broker.bootstrap, workdir / "api", command="api")
            peer = PeerGateway(broker.bootstrap, workdir / "peer")
            try:
                measure_ingest(figures, api, peer, http_events, corpora, quiet_timeout)
            finally:
                api.stop()
                peer.stop()
            if code is not None:
                if quiet_timeout > 0:
                    wait_until_quiet(timeout=quiet_timeout)
                measure_baseline(figures, broker, workdir, code, http_events, corpora)
                if quiet_timeout > 0:
                    wait_until_quiet(timeout=quiet_timeout)
            pipeline = RunningPipeline(broker.bootstrap, workdir / "run")
            try:
                asyncio.run(measure_end_to_end(figures, pipeline, http_events, corpora))
                if sustain:
                    asyncio.run(measure_sustained(figures, pipeline, broker, sustain, corpora))
            finally:
                pipeline.stop()
        if job_events:
            jobs = workdir / "jobs"
            run_jobs(figures, broker, jobs, job_events, repeat, corpora, quiet_timeout, code)
    return figures
