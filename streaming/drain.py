"""Drain on a clean stop: the embedded (memory-only) broker is stopped with us, and what it
holds goes with it.

So before the agents stop, wait until every record accepted so far has been classified and
projected; only then is the broker stopped. With a durable broker (Apache Kafka) the log keeps
the records and the next worker resumes from the committed offsets; the drain is not needed and
not started.

The wait is bounded (ERO_DRAIN_TIMEOUT_SECONDS): past it the drain gives up, says per topic and
partition how many records were not drained, and the process exits non-zero (ero/runtime.py),
leaving the embedded broker running with them: the next `ero run` resumes from it.
"""

from __future__ import annotations

import asyncio
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

    def behind(self, topic: str, ends: dict[int, int]) -> dict[int, int]:
        """Partition -> records below its end offset this process is not done with."""
        return {
            partition: end - done
            for partition, end in ends.items()
            if (done := self._done.get((topic, partition), 0)) < end
        }

    def caught_up(self, topic: str, ends: dict[int, int]) -> bool:
        return not self.behind(topic, ends)


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
        self._ends: dict[str, dict[int, int]] = {}
        self.timed_out = False

    def not_drained(self) -> dict[str, dict[int, int] | str]:
        """Topic -> {partition: records not drained}, or "not checked" for a topic the drain
        did not reach: what a stop that gave up leaves in the log."""
        found: dict[str, dict[int, int] | str] = {}
        for topic in self._stages:
            ends = self._ends.get(topic)
            if ends is None:
                found[topic] = "not checked"
            elif behind := self._progress.behind(topic, ends):
                found[topic] = behind
        return found

    async def on_stop(self) -> None:
        """Called once the API stopped, before the agents stop; returns within the timeout
        (a broker that does not answer end offsets counts against it too)."""
        try:
            async with asyncio.timeout(self._timeout):
                for topic in self._stages:
                    self._ends[topic] = await end_offsets(self._bootstrap, topic)
                    # Polled: progress is marked by every agent's batch, no event to wait on.
                    while not self._progress.caught_up(topic, self._ends[topic]):  # noqa: ASYNC110
                        await asyncio.sleep(0.05)
        except TimeoutError:
            self.timed_out = True
            log.error(
                "drain_timed_out",
                timeout_seconds=self._timeout,
                not_drained=self.not_drained(),
                hint="these records were accepted but not projected before the stop",
            )
            return
        log.info("drained", topics=self._stages)
