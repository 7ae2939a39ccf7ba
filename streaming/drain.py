"""Drain on a clean stop: the embedded (memory-only) broker is stopped with us, and what it
holds goes with it.

So before the agents stop, wait until every record accepted so far has been classified and
projected; only then is the broker stopped (a drain that times out leaves it running, and the
next `ero run` resumes from it, as after a crash). With a durable broker (Apache Kafka) the log
keeps the records and the next worker resumes from the committed offsets; the drain is not
needed and not started.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

import mode
import structlog

from infra.topics import end_offsets

log = structlog.get_logger(__name__)


class Progress:
    """The next offset each agent is done with, per topic partition."""

    def __init__(self) -> None:
        self._done: dict[tuple[str, int], int] = {}

    def mark(self, faust_event: Any) -> None:
        message = faust_event.message
        self.mark_offset(message.topic, message.partition, message.offset + 1)

    def mark_offset(self, topic: str, partition: int, next_offset: int) -> None:
        key = (topic, partition)
        self._done[key] = max(self._done.get(key, 0), next_offset)

    def forget(self, topic: str) -> None:
        """The topic was recycled (streaming/recycle.py): its offsets start over at 0."""
        self._done = {key: done for key, done in self._done.items() if key[0] != topic}

    def batch_started(self, records: int) -> None:
        """A stage starts working on a batch (a hook for measurements: `ero-bench pipeline`)."""

    def caught_up(self, topic: str, ends: dict[int, int]) -> bool:
        return all(self._done.get((topic, p), 0) >= end for p, end in ends.items() if end > 0)


class DrainService(mode.Service):
    """`drained` says, once stopped, whether everything was drained in time."""

    def __init__(
        self,
        bootstrap: str,
        stages: Sequence[str],
        progress: Progress,
        timeout: float,
        **kwargs: Any,
    ) -> None:
        """`stages`: the topics this process consumes, in pipeline order."""
        super().__init__(**kwargs)
        self._bootstrap = bootstrap
        self._stages = tuple(stages)
        self._progress = progress
        self._timeout = timeout
        self.drained = False

    async def on_stop(self) -> None:
        deadline = time.monotonic() + self._timeout
        for topic in self._stages:
            ends = await end_offsets(self._bootstrap, topic)
            while not self._progress.caught_up(topic, ends):
                if time.monotonic() > deadline:
                    log.error("drain_timed_out", topic=topic, end_offsets=ends)
                    return
                await asyncio.sleep(0.05)
        log.info("drained", topics=self._stages)
        self.drained = True
