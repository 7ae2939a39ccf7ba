"""The process's ClickHouse connection: chdb in-process or a server, chosen by DSN alone.

clickhouse-connect has no async client for chdb, so blocking calls run in a worker thread
(chdb releases the GIL while it works). A chdb client runs one call at a time, so queries take
a client of a small pool: the statements of one answer (a dashboard runs five) and the answers
of concurrent requests run side by side rather than queued behind one handle.

Time zones are this module's business, so no caller converts: our DateTime columns hold UTC
wall time; a bound datetime parameter is sent as UTC wall time whatever its zone, and every
datetime a query returns is aware, in UTC.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import clickhouse_connect
from clickhouse_connect import common

from infra.metrics import metrics

# No session ids: a session forbids concurrent queries, and the API runs many at once.
common.set_setting("autogenerate_session_id", False)


class ArrayLiteral:
    """A bound Array parameter already written as ClickHouse's text, in one join, for values
    that need no escaping (UUIDs, integers): clickhouse-connect formats a list element by element
    (~1 us per value, the largest Python cost of a lookup by 10 000 ids) and writes any other
    object as its str(). The server parses the text as the placeholder's type: a value that is
    not one fails the query, it cannot change it."""

    def __init__(self, values: Iterable[str], *, quoted: bool) -> None:
        joined = "','".join(values) if quoted else ",".join(values)
        self._text = f"['{joined}']" if quoted else f"[{joined}]"

    def __str__(self) -> str:
        return self._text


def _utc_wall(value: datetime) -> datetime:
    """The UTC wall time ClickHouse stores for `value` (naive: taken as UTC already)."""
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo is not None else value


def _bound(parameters: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if parameters is None:
        return None
    return {
        name: _utc_wall(value) if isinstance(value, datetime) else value
        for name, value in parameters.items()
    }


def _aware(rows: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
    """The rows, with each naive datetime made aware in UTC. A column holds one type: the first
    row tells which columns to convert (a NULL there is looked up in the next rows)."""
    if not rows:
        return []
    width = len(rows[0])
    found: set[int] = set()
    unknown = set(range(width))
    for row in rows:
        for index in list(unknown):
            value = row[index]
            if value is not None:
                unknown.discard(index)
                if isinstance(value, datetime) and value.tzinfo is None:
                    found.add(index)
        if not unknown:
            break
    if not found:
        return [tuple(row) for row in rows]
    columns = sorted(found)
    converted = []
    for row in rows:
        values = list(row)
        for index in columns:
            value = values[index]
            if value is not None:
                values[index] = value.replace(tzinfo=UTC)
        converted.append(tuple(values))
    return converted


def _measure_insert(table: str, seconds: float, rows: int) -> None:
    measure, tags = metrics(), {"table": table}
    measure.distribution("clickhouse_insert_seconds", seconds, tags)
    measure.distribution("clickhouse_insert_rows", rows, tags)


class ClickHouseUnavailable(RuntimeError):
    """The ClickHouse the DSN names cannot be opened or reached."""


# Query clients per ClickHouse object, at most: the default thread pool runs 6 calls at once.
READERS = 4


class ClickHouse:
    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self._client = self._connect()
        self._readers: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._reader_count = 0
        self._opening = threading.Lock()

    def _connect(self) -> Any:
        dsn = self.dsn
        try:
            return clickhouse_connect.get_client(dsn=dsn)
        except Exception as exc:
            where = dsn.split("@")[-1]
            hint = (
                " Only one process may open a chdb path: stop the other ERO process, or talk to"
                " it through its API."
                if dsn.startswith("chdb://")
                else ""
            )
            raise ClickHouseUnavailable(f"cannot open ClickHouse at {where}: {exc}.{hint}") from exc

    def separate(self) -> ClickHouse:
        """Another client of the same ClickHouse, whose calls never wait for this one's (a
        chdb client runs one call at a time; chdb serves many clients in one process)."""
        return ClickHouse(self.dsn)

    def command(self, sql: str, parameters: dict[str, Any] | None = None) -> None:
        self._client.command(sql, parameters=_bound(parameters))

    def rows(self, sql: str, parameters: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        client = self._reader()
        try:
            return _aware(client.query(sql, parameters=_bound(parameters)).result_rows)
        finally:
            self._readers.put(client)

    def _reader(self) -> Any:
        """A query client of the pool: an idle one, a new one while fewer than READERS are
        open, else the next one released."""
        try:
            return self._readers.get_nowait()
        except queue.Empty:
            pass
        with self._opening:
            opened = self._reader_count < READERS
            if opened:
                self._reader_count += 1
        if not opened:
            return self._readers.get()
        try:
            return self._connect()
        except BaseException:  # its slot is free again
            with self._opening:
                self._reader_count -= 1
            raise

    def insert_columns(
        self, table: str, column_names: Sequence[str], columns: Sequence[Sequence[Any]]
    ) -> None:
        started = time.perf_counter()
        self._client.insert(
            table,
            [list(column) for column in columns],
            column_names=list(column_names),
            column_oriented=True,
            settings={"max_partitions_per_insert_block": 1000},
        )
        _measure_insert(table, time.perf_counter() - started, len(columns[0]) if columns else 0)

    def insert_json_lines(
        self, table: str, lines: Sequence[bytes], settings: dict[str, Any]
    ) -> None:
        """Insert JSONEachRow lines: ClickHouse parses them (outside the GIL)."""
        started = time.perf_counter()
        self._client.raw_insert(
            table, None, b"\n".join(lines), settings=settings, fmt="JSONEachRow"
        )
        _measure_insert(table, time.perf_counter() - started, len(lines))

    async def arows(
        self, sql: str, parameters: dict[str, Any] | None = None
    ) -> list[tuple[Any, ...]]:
        return await asyncio.to_thread(self.rows, sql, parameters)

    async def ainsert_columns(
        self, table: str, column_names: Sequence[str], columns: Sequence[Sequence[Any]]
    ) -> None:
        await asyncio.to_thread(self.insert_columns, table, column_names, columns)

    async def ping(self) -> bool:
        try:
            return await self.arows("SELECT 1") == [(1,)]
        except Exception:
            return False

    def close(self) -> None:
        self._client.close()
        while True:
            try:
                self._readers.get_nowait().close()
            except queue.Empty:
                return
