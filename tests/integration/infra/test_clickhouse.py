"""The ClickHouse client owns time zones: callers bind and read aware datetimes, whatever zone
they come in, and never convert to naive UTC themselves. Its queries do not queue behind each
other: a slow one leaves the others their own client."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta, timezone

from infra.clickhouse import ClickHouse

PARIS_WINTER = timezone(timedelta(hours=1))


def test_a_bound_datetime_is_its_instant_and_a_read_one_is_aware_utc(
    clickhouse: ClickHouse,
) -> None:
    clickhouse.command("DROP TABLE IF EXISTS tz_check")
    clickhouse.command(
        "CREATE TABLE tz_check (at DateTime64(3, 'UTC'), n Nullable(DateTime)) ENGINE = Memory"
    )
    try:
        at = datetime(2026, 11, 28, 10, 30, 0, 500000, tzinfo=PARIS_WINTER)
        clickhouse.command(
            "INSERT INTO tz_check VALUES ({at:DateTime64(3, 'UTC')}, NULL), "
            "({at:DateTime64(3, 'UTC')}, {whole:DateTime})",
            {"at": at, "whole": at.replace(microsecond=0)},
        )
        rows = clickhouse.rows(
            "SELECT at, n, toStartOfMinute(at) FROM tz_check ORDER BY n NULLS FIRST"
        )
        assert rows[0][0] == at, "the same instant, read back"
        assert rows[0][0].tzinfo is UTC
        assert rows[0][0].hour == 9, "stored as UTC wall time"
        assert rows[0][1] is None
        assert rows[1][1] == at.replace(microsecond=0), "a NULL first does not hide the column"
        assert rows[1][1].tzinfo is UTC
        assert rows[0][2] == datetime(2026, 11, 28, 9, 30, tzinfo=UTC)
        earlier = at - timedelta(seconds=1)
        count = clickhouse.rows(
            "SELECT count() FROM tz_check WHERE at > {since:DateTime64(3, 'UTC')}",
            {"since": earlier.astimezone(timezone(timedelta(hours=-5)))},
        )
        assert count == [(2,)]
    finally:
        clickhouse.command("DROP TABLE tz_check")


def test_a_query_runs_while_another_is_running(clickhouse: ClickHouse) -> None:
    marker = f"slow-{uuid.uuid4().hex}"
    slow = threading.Thread(
        target=clickhouse.rows,
        args=(f"SELECT sleepEachRow(0.5), '{marker}' FROM numbers(4)",),
    )
    slow.start()
    try:
        running = 0
        for _ in range(100):  # until the slow query shows in the list of running ones
            running = clickhouse.rows(
                "SELECT count() FROM system.processes WHERE query LIKE {m:String}"
                " AND query NOT LIKE '%system.processes%'",
                {"m": f"%{marker}%"},
            )[0][0]
            if running or not slow.is_alive():
                break
        assert running == 1, "seen running, from another client, before it ended"
    finally:
        slow.join()
