"""Run the real pipeline (`ero run` / `ero api`) as a child process, the way a user does."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import orjson
from aiokafka.partitioner import DefaultPartitioner

from infra.broker import BrokerState, free_port, terminate
from licences import Credentials

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[2]
T = TypeVar("T")


def wait_until(check: Callable[[], T | None], timeout: float = 60.0, every: float = 0.1) -> T:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(every)


class Pipeline:
    """One `ero` process with its own data dir and port."""

    def __init__(
        self,
        data_dir: Path,
        command: str = "run",
        launcher: Sequence[str] = (str(BIN / "ero"),),
        **env: str,
    ) -> None:
        """`launcher`: what runs the `ero` command (a test may wrap it to inject a fault)."""
        self.data_dir = data_dir
        self.command = command
        self.launcher = tuple(launcher)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "ERO_DATA_DIR": str(data_dir),
            "ERO_API_PORT": str(self.port),
            "ERO_BROKER_SESSION_TIMEOUT_SECONDS": "6",
            **env,
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.log = data_dir / f"{command}.log"

    def spawn(self, own_group: bool = False) -> subprocess.Popen[bytes]:
        """Start the process without waiting for an API (`ero worker` has none); `own_group`:
        in a process group of its own, as a shell starts `make run` (see `kill_group`)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [*self.launcher, self.command],
                env=self.env,
                stdout=log,
                stderr=log,
                cwd=REPO,
                process_group=0 if own_group else None,
            )
        return self.process

    def start(self, timeout: float = 90.0, own_group: bool = False) -> Pipeline:
        self.spawn(own_group)
        wait_until(self._ready, timeout=timeout, every=0.2)
        return self

    def kill_group(self) -> None:
        """SIGKILL the whole process group of a process started with `own_group`."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.process = None

    @property
    def broker(self) -> BrokerState | None:
        """The embedded broker `ero run` recorded in its data dir, while it runs."""
        state = BrokerState.read(self.data_dir / "broker.json")
        return state if state is not None and state.is_running() else None

    def _ready(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"ero {self.command} exited: {self.log.read_text()[-3000:]}")
        try:
            return httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def stop(self, timeout: float = 60.0) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGINT)
        code = self.process.wait(timeout=timeout)
        self.process = None
        return code

    def ensure_stopped(self) -> None:
        """After a failed test: SIGKILL the process if it still runs, and its embedded broker
        (which outlives it), so none outlives the test."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        broker = self.broker
        if broker is not None:
            terminate(broker.pid)

    @property
    def runtime(self) -> dict[str, Any]:
        loaded: dict[str, Any] = orjson.loads((self.data_dir / "runtime.json").read_bytes())
        return loaded

    def ero(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        """Run an `ero` CLI command against this pipeline's settings."""
        return subprocess.run(
            [str(BIN / "ero"), *args],
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    @property
    def demo_licence(self) -> Credentials:
        """The licence `ero run` creates on its first start."""
        return Credentials.model_validate_json((self.data_dir / "demo-licence.json").read_bytes())

    def create_licence(self, name: str) -> Credentials:
        done = self.ero("licence", "create", name, "--json")
        assert done.returncode == 0, done.stderr
        return Credentials.model_validate_json(done.stdout)

    def client(self, token: str) -> httpx.Client:
        return httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )


def params(**values: Any) -> Mapping[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


@dataclass
class ScaledOut:
    """A pipeline owning ClickHouse (classify,project) and a classify-only helper worker on
    its broker, the helper started and holding its share of the raw topic's partitions."""

    pipeline: Pipeline
    helper: Pipeline
    helper_process: subprocess.Popen[bytes]


@contextlib.contextmanager
def scaled_out(tmp_path: Path) -> Iterator[ScaledOut]:
    pipeline = Pipeline(tmp_path / "run", ERO_WORKER_ROLES="classify,project").start()
    helper = Pipeline(
        tmp_path / "helper",
        "worker",
        ERO_KAFKA_BOOTSTRAP=pipeline.runtime["kafka_bootstrap"],
        ERO_WORKER_ROLES="classify",
    )
    try:
        process = helper.spawn()
        # Once the group has rebalanced, each worker logs the partitions it got.
        wait_until(lambda: "ero.events.raw/" in helper.log.read_text(), timeout=90)
        yield ScaledOut(pipeline, helper, process)
    finally:
        helper.ensure_stopped()
        assert pipeline.stop() == 0


def assigned_partitions(log: Path, topic: str) -> set[int]:
    """The partitions of `topic` a worker's hot stage was last given, from its log."""
    partitions: set[int] = set()
    for line in log.read_text().splitlines():
        if '"partitions_assigned"' not in line:
            continue
        try:
            entry = orjson.loads(line)
        except orjson.JSONDecodeError:  # the line being written as we read
            continue
        named = [p for p in entry.get("partitions", []) if p.startswith(f"{topic}/")]
        if named:
            partitions = {int(p.rsplit("/", 1)[1]) for p in named}
    return partitions


def licence_on(pipeline: Pipeline, partitions: set[int], count: int = 4) -> Credentials:
    """A new licence whose raw records land on one of `partitions` (records are keyed by
    licence; the gateway's producer partitions keys as Kafka's default partitioner does)."""
    every = list(range(count))
    for attempt in range(200):
        licence = pipeline.create_licence(f"on partitions {sorted(partitions)} #{attempt}")
        if DefaultPartitioner()(licence.licence_id.encode(), every, every) in partitions:
            return licence
    raise AssertionError(f"no licence landed on partitions {partitions} in 200 tries")
