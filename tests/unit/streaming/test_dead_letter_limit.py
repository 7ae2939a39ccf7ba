"""The dead-letter limit: a run of rejects, or a share of them in a window, stops the stage."""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

from streaming.dead_letter_limit import DeadLetterGuard, DeadLetterLimit, DeadLetterLimitExceeded


def test_a_run_of_rejects_stops_and_says_why() -> None:
    guard = DeadLetterGuard("classify", DeadLetterLimit(3, 0, 100))
    guard.rejected()
    guard.rejected()
    guard.accepted()  # the run is broken: it starts again
    guard.rejected()
    guard.rejected()
    with capture_logs() as logs, pytest.raises(DeadLetterLimitExceeded, match="3 records in a row"):
        guard.rejected()
    assert logs[0]["event"] == "dead_letter_limit_exceeded"
    assert logs[0]["log_level"] == "critical"
    assert logs[0]["stage"] == "classify"


def test_a_share_of_rejects_within_a_window_stops() -> None:
    guard = DeadLetterGuard("classify", DeadLetterLimit(0, 0.5, 10))
    for _ in range(6):  # the first window: 4 of 10 rejected, under the share
        guard.accepted()
    for _ in range(4):
        guard.rejected()
    for _ in range(5):  # the next window: 5 of 10
        guard.accepted()
    for _ in range(4):
        guard.rejected()
    with pytest.raises(DeadLetterLimitExceeded, match="50% of the last 10 records"):
        guard.rejected()


def test_zero_switches_a_limit_off() -> None:
    guard = DeadLetterGuard("classify", DeadLetterLimit(0, 0, 10))
    for _ in range(1000):
        guard.rejected()
