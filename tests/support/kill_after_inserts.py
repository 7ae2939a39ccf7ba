"""`python -m tests.support.kill_after_inserts N COMMAND`: the `ero` COMMAND, killed with
SIGKILL right after its N-th projection insert, before that batch's offsets are committed.

The fault is injected here, around the real writer, so production code carries no test hook.
"""

from __future__ import annotations

import os
import signal
import sys

from ero.cli import main
from projections.sync_events import Block, Lookup
from projections.write_gate import GatedSyncEventsWriter


def _arm(inserts: int) -> None:
    store = GatedSyncEventsWriter.store
    done = 0

    async def store_then_maybe_die(
        self: GatedSyncEventsWriter, block: Block, lookup: Lookup | None = None
    ) -> int:
        nonlocal done
        written = await store(self, block, lookup)
        done += 1
        if done >= inserts:
            os.kill(os.getpid(), signal.SIGKILL)
        return written

    GatedSyncEventsWriter.store = store_then_maybe_die  # type: ignore[method-assign]


if __name__ == "__main__":
    _arm(int(sys.argv[1]))
    main(sys.argv[2:])
