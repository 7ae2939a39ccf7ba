"""A gate in front of some topics: appends to a closed topic wait (they do not fail) until it
opens again; closing waits for the appends already under way. It also counts the bytes
appended to each gated topic, which is what decides when to recycle them
(streaming/recycle.py: the embedded broker keeps every record in memory until its topic is
deleted).

One gate per process, shared by every producer writing the gated topics (the gateway's event
log, the hot stage's feed), all on the process's one event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator, Collection, Mapping


class AppendGate:
    def __init__(self, topics: Collection[str]) -> None:
        """`topics`: the gated topics; appends to any other pass untouched and uncounted."""
        self.topics = frozenset(topics)
        self._closed: set[str] = set()
        self._in_flight: Counter[str] = Counter()
        self._appended: Counter[str] = Counter()
        self._changed = asyncio.Condition()

    @contextlib.asynccontextmanager
    async def appending(self, sizes: Mapping[str, int]) -> AsyncIterator[None]:
        """Around one append of `sizes` (topic -> bytes): waits while any of its gated topics
        is closed. Counted once the append returned without raising."""
        gated = {topic: size for topic, size in sizes.items() if topic in self.topics}
        if not gated:
            yield
            return
        async with self._changed:
            await self._changed.wait_for(lambda: self._closed.isdisjoint(gated))
            self._in_flight.update(gated.keys())
        try:
            yield
            self._appended.update(gated)
        finally:
            async with self._changed:
                self._in_flight.subtract(gated.keys())
                self._changed.notify_all()

    async def close(self, topic: str) -> None:
        """Hold new appends to `topic`; returns once those under way are done (acked or
        failed)."""
        async with self._changed:
            self._closed.add(topic)
            await self._changed.wait_for(lambda: self._in_flight[topic] <= 0)

    async def open(self, *topics: str) -> None:
        async with self._changed:
            self._closed.difference_update(topics)
            self._changed.notify_all()

    def appended(self) -> int:
        """Bytes appended to the gated topics since the last `reset`."""
        return sum(self._appended.values())

    def reset(self) -> None:
        self._appended.clear()
