"""The health rule on its own: a rhythm that stops turns late, then silent; a failed last run
is failing whatever the rhythm."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from query_api.connector_health import HealthState, health_of

LAST = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
HOUR_MS = 3_600_000


@pytest.mark.parametrize(
    ("quiet", "state"),
    [
        (timedelta(minutes=30), HealthState.OK),
        (timedelta(minutes=90), HealthState.OK),
        (timedelta(minutes=91), HealthState.LATE),
        (timedelta(hours=3), HealthState.LATE),
        (timedelta(hours=3, minutes=1), HealthState.SILENT),
    ],
)
def test_an_hourly_connector_that_stops_turns_late_then_silent(
    quiet: timedelta, state: HealthState
) -> None:
    health = health_of(12, LAST, False, HOUR_MS, LAST + quiet)
    assert health.state is state
    assert health.expected_every_seconds == 3600


def test_a_fast_rhythm_is_silent_only_after_30_minutes() -> None:
    minute_ms = 60_000
    assert health_of(50, LAST, False, minute_ms, LAST + timedelta(minutes=29)).state is (
        HealthState.LATE
    )
    assert health_of(50, LAST, False, minute_ms, LAST + timedelta(minutes=31)).state is (
        HealthState.SILENT
    )


def test_a_failed_last_run_is_failing() -> None:
    assert health_of(12, LAST, True, HOUR_MS, LAST).state is HealthState.FAILING


def test_fewer_than_three_runs_use_a_fixed_day_and_are_never_late() -> None:
    assert health_of(2, LAST, False, HOUR_MS, LAST + timedelta(hours=23)).state is HealthState.OK
    assert health_of(2, LAST, False, HOUR_MS, LAST + timedelta(hours=25)).state is (
        HealthState.SILENT
    )
    assert health_of(0, None, False, 0, LAST).state is HealthState.SILENT
    assert health_of(2, LAST, False, HOUR_MS, LAST).expected_every_seconds == 86400
