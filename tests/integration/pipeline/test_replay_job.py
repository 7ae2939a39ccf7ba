"""A replay that fails before its swap leaves the live tables as they were and no shadow behind."""

from __future__ import annotations

from collections.abc import AsyncIterator

from infra.clickhouse import ClickHouse
from pipeline.replay import ReplayJob, ReplayRequest, Source, State


class BrokenLog:
    """A source whose log goes away after its first chunk."""

    async def total(self) -> int:
        return 2

    async def chunks(self) -> AsyncIterator[list[bytes]]:
        yield []
        raise ConnectionError("the broker went away")

    async def close(self) -> None:
        """Nothing held."""


def _tables(clickhouse: ClickHouse) -> list[str]:
    rows = clickhouse.rows(
        "SELECT name FROM system.tables WHERE database = currentDatabase() ORDER BY name"
    )
    return [name for (name,) in rows]


def _rows(clickhouse: ClickHouse) -> list[int]:
    return [
        int(clickhouse.rows(f"SELECT count() FROM {table}")[0][0])
        for table in ("sync_events", "sync_minutes", "fingerprint_minutes")
    ]


async def test_a_failed_replay_drops_its_shadows_and_changes_nothing(
    clickhouse: ClickHouse,
) -> None:
    tables, rows = _tables(clickhouse), _rows(clickhouse)
    request = ReplayRequest(source=Source.CLASSIFIED, from_beginning=True)
    status = await ReplayJob("broken", request, clickhouse, BrokenLog()).run()
    assert status.state is State.FAILED
    assert status.error == "ConnectionError: the broker went away"
    assert _tables(clickhouse) == tables
    assert _rows(clickhouse) == rows
