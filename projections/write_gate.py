"""The projection's writer, behind a gate a replay closes while it swaps tables in.

With the gate closed no projection insert of this process is under way, so the last copy of
live rows into the shadows and the exchange see a still live table set (the records wait in the
log meanwhile). Writers in other processes (separate workers on a ClickHouse server) are not
held: see deploy/README.md, "Replay, rebuild, scale-out".
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from infra.clickhouse import ClickHouse
from projections.sync_events import Block, Lookup, SyncEventsWriter


class WriteGate:
    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self.swaps = 0
        """How many times tables were swapped behind it: a lookup made before a swap read a
        table that is gone."""

    @asynccontextmanager
    async def closed(self) -> AsyncIterator[None]:
        async with self._lock:
            yield

    @asynccontextmanager
    async def swapping(self) -> AsyncIterator[None]:
        """Closed while the live tables are replaced."""
        async with self._lock:
            try:
                yield
            finally:
                self.swaps += 1


# One per process: the stage that stores events and a replay job hosted by the same process
# share it.
PROJECTION_GATE = WriteGate()


class GatedSyncEventsWriter(SyncEventsWriter):
    def __init__(
        self, clickhouse: ClickHouse, gate: WriteGate, lookups: ClickHouse | None = None
    ) -> None:
        super().__init__(clickhouse, lookups=lookups)
        self._gate = gate

    def epoch(self) -> int:
        return self._gate.swaps

    async def store(self, block: Block, lookup: Lookup | None = None) -> int:
        async with self._gate.closed():
            return await super().store(block, lookup)
