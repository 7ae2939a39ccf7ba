"""Retry waits out an outage and raises a bug at once."""

from __future__ import annotations

import time

import pytest
from clickhouse_connect.driver.exceptions import OperationalError
from structlog.testing import capture_logs

from infra import retry
from infra.log_producer import LogUnavailable
from infra.retry import infrastructure_failure, retry_transient


async def test_an_outage_is_retried_until_it_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retry, "MAX_BACKOFF_SECONDS", 0.01)
    failures = [OperationalError("server gone"), LogUnavailable("no broker")]

    async def flaky() -> str:
        if failures:
            raise failures.pop(0)
        return "stored"

    with capture_logs() as logs:
        assert await retry_transient(flaky, "insert", lambda: {"licence_ids": ["L1"]}) == "stored"
    assert [entry["event"] for entry in logs] == ["insert_failed", "insert_failed"]
    assert logs[0]["licence_ids"] == ["L1"]


async def test_a_bug_is_raised_at_once() -> None:
    calls = 0

    async def buggy() -> None:
        nonlocal calls
        calls += 1
        raise TypeError("unsupported operand")

    started = time.monotonic()
    with capture_logs() as logs, pytest.raises(TypeError):
        await retry_transient(buggy, "insert")
    assert calls == 1
    assert time.monotonic() - started < 0.4, "no backoff before raising"
    assert logs[0]["event"] == "insert_failed_for_good"


def test_what_counts_as_transient() -> None:
    assert infrastructure_failure(OperationalError("timeout"))
    assert infrastructure_failure(ConnectionRefusedError())
    assert infrastructure_failure(TimeoutError())
    assert not infrastructure_failure(KeyError("licence_id"))
    assert not infrastructure_failure(AssertionError())


async def test_a_bounded_retry_raises_the_last_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retry, "MAX_BACKOFF_SECONDS", 0.01)
    calls = 0

    async def down() -> None:
        nonlocal calls
        calls += 1
        raise ConnectionRefusedError(f"try {calls}")

    with capture_logs() as logs, pytest.raises(ConnectionRefusedError, match="try 3"):
        await retry_transient(down, "send", attempts=3)
    assert calls == 3
    assert [entry["event"] for entry in logs] == [
        "send_failed",
        "send_failed",
        "send_failed_for_good",
    ]
