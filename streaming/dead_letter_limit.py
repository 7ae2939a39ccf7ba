"""A consumer that would dead-letter everything stops instead (arroyo's `DlqLimit`).

A bad deploy (a gateway writing records the workers cannot read, a producer with the wrong
schema) would otherwise turn the whole stream into dead letters while the pipeline looks
healthy. Past a run of consecutive rejects, or a share of rejects within a window of records,
the stage raises: nothing of its batch is committed, the records wait in the log, and the
operator reads one log line saying why.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog

log = structlog.get_logger(__name__)


class DeadLetterLimitExceeded(RuntimeError):
    """Too many records of a stage could not be read: it stops rather than dead-letter them."""


@dataclass(frozen=True)
class DeadLetterLimit:
    max_consecutive: int
    """Rejected records in a row that stop the stage (0: no such limit)."""
    max_ratio: float
    """Share of rejected records within one window that stops the stage (0: no such limit)."""
    window: int
    """Records per window for `max_ratio`."""


class DeadLetterGuard:
    """Told of each record a stage reads, in order. Called from the stage's `prepare` (a worker
    thread, one batch at a time): never blocks; `rejected` raises DeadLetterLimitExceeded."""

    def __init__(self, stage: str, limit: DeadLetterLimit) -> None:
        self._stage = stage
        self._limit = limit
        self._consecutive = 0
        self._seen = 0
        self._rejected = 0

    def accepted(self) -> None:
        self._consecutive = 0
        self._count(rejected=False)

    def rejected(self) -> None:
        self._consecutive += 1
        limit = self._limit
        if limit.max_consecutive and self._consecutive >= limit.max_consecutive:
            self._stop(f"{self._consecutive} records in a row could not be read")
        self._count(rejected=True)

    def _count(self, *, rejected: bool) -> None:
        self._seen += 1
        self._rejected += rejected
        if self._seen < self._limit.window:
            return
        ratio = self._rejected / self._seen
        self._seen = self._rejected = 0
        if self._limit.max_ratio and ratio >= self._limit.max_ratio:
            self._stop(f"{ratio:.0%} of the last {self._limit.window} records could not be read")

    def _stop(self, why: str) -> None:
        log.critical(
            "dead_letter_limit_exceeded",
            stage=self._stage,
            why=why,
            hint="a producer or a deploy writes records this stage cannot read; fix it, then "
            "restart: nothing was committed, the records wait in the log",
        )
        raise DeadLetterLimitExceeded(f"stage {self._stage} stopped: {why}")
