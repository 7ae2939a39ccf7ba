"""One `ero run` per data dir: its ClickHouse path and its embedded broker are that run's.

An advisory lock (flock) on DATA_DIR/run.lock, held for the life of the process: the kernel
releases it when the process dies, however it dies, so a crashed run never blocks the next.
Without it, a second `ero run` would re-attach to the first one's broker and stop it on its
way out (it cannot open the chdb path the first holds).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from infra.configuration import ConfigurationError


@contextlib.contextmanager
def holding(data_dir: Path) -> Iterator[None]:
    """Raises ConfigurationError when another process holds the data dir."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "run.lock"
    with path.open("a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().strip() or "another process"
            raise ConfigurationError(
                f"{data_dir} is in use by `ero run` (pid {holder}): stop it, or set "
                "ERO_DATA_DIR to another folder"
            ) from None
        lock.truncate(0)
        lock.write(str(os.getpid()))
        lock.flush()
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
