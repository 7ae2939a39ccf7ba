"""What the rules read from ClickHouse, for every alerting licence at once (one query per
condition, each bounded in time and rows, every value bound). The rollups and sync_events are
exact under replays (their writer inserts an event once), so a replay changes no condition."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from infra.clickhouse import ClickHouse
from schemas.alerts import Evidence

RECENT = timedelta(hours=1)
"""A group first seen within this is new; older groups were there before."""
HISTORY = timedelta(days=7)
"""What rhythms, usual error rates and stuck orders are learned from."""
MAX_ROWS = 10_000


@dataclass(frozen=True)
class Group:
    licence_id: str
    fingerprint: int
    first_event_at: datetime
    last_event_at: datetime
    events: int
    operation: str
    message: str
    connectors: tuple[str, ...]


@dataclass(frozen=True)
class StuckOrder:
    licence_id: str
    connector_id: str
    reference: str
    failing_since: datetime
    message: str


class Conditions:
    def __init__(self, clickhouse: ClickHouse) -> None:
        self._clickhouse = clickhouse

    async def recent_groups(self, licences: Sequence[str], now: datetime) -> list[Group]:
        """Error groups with an event in the last hour, and whether they are older (first_event_at
        over their whole retained history)."""
        rows = await self._clickhouse.arows(
            """
            WITH recent AS (
                SELECT licence_id, fingerprint FROM fingerprint_minutes
                WHERE licence_id IN {licences:Array(String)} AND level = 'error'
                    AND minute >= toStartOfMinute({since:DateTime64(3, 'UTC')})
                GROUP BY licence_id, fingerprint
                LIMIT {rows:UInt32}
            )
            SELECT licence_id, fingerprint, min(first_event_at), max(last_event_at), sum(events),
                any(operation), anyLast(message), groupUniqArrayMerge(connectors)
            FROM fingerprint_minutes
            WHERE licence_id IN {licences:Array(String)} AND level = 'error'
                AND (licence_id, fingerprint) IN recent
            GROUP BY licence_id, fingerprint
            """,
            {"licences": list(licences), "since": now - RECENT, "rows": MAX_ROWS},
        )
        return [
            Group(
                row[0],
                int(row[1]),
                row[2],
                row[3],
                int(row[4]),
                row[5],
                row[6],
                tuple(sorted(row[7])),
            )
            for row in rows
        ]

    async def errors_since(
        self, licences: Sequence[str], since: datetime
    ) -> dict[tuple[str, str], int]:
        """Errors per (licence, connector) that occurred after `since`."""
        rows = await self._clickhouse.arows(
            """
            SELECT licence_id, connector_id, count() FROM sync_events
            WHERE licence_id IN {licences:Array(String)}
                AND occurred_at >= {since:DateTime64(3, 'UTC')} AND level = 'error'
            GROUP BY licence_id, connector_id
            LIMIT {rows:UInt32}
            """,
            {"licences": list(licences), "since": since, "rows": MAX_ROWS},
        )
        return {(row[0], row[1]): int(row[2]) for row in rows}

    async def usual_errors(
        self, licences: Sequence[str], now: datetime
    ) -> dict[tuple[str, str], int]:
        """Errors per (licence, connector) over the last 7 days, from the minute rollup."""
        rows = await self._clickhouse.arows(
            """
            SELECT licence_id, connector_id, sum(events) FROM sync_minutes
            WHERE licence_id IN {licences:Array(String)} AND level = 'error'
                AND minute >= {since:DateTime('UTC')}
            GROUP BY licence_id, connector_id
            LIMIT {rows:UInt32}
            """,
            {"licences": list(licences), "since": now - HISTORY, "rows": MAX_ROWS},
        )
        return {(row[0], row[1]): int(row[2]) for row in rows}

    async def active_minutes(
        self, licences: Sequence[str], now: datetime
    ) -> dict[tuple[str, str], tuple[list[datetime], datetime]]:
        """The minutes each (licence, connector) had events in over the last 7 days, in order,
        and its last event: what its rhythm is learned from."""
        rows = await self._clickhouse.arows(
            """
            SELECT licence_id, connector_id, arraySort(groupUniqArray(minute)),
                max(last_event_at)
            FROM sync_minutes
            WHERE licence_id IN {licences:Array(String)} AND minute >= {since:DateTime('UTC')}
            GROUP BY licence_id, connector_id
            LIMIT {rows:UInt32}
            """,
            {"licences": list(licences), "since": now - HISTORY, "rows": MAX_ROWS},
        )
        return {(row[0], row[1]): (list(row[2]), row[3]) for row in rows}

    async def last_events(
        self, licences: Sequence[str], since: datetime
    ) -> dict[tuple[str, str], datetime]:
        """Each (licence, connector)'s last event after `since`."""
        rows = await self._clickhouse.arows(
            """
            SELECT licence_id, connector_id, max(last_event_at) FROM sync_minutes
            WHERE licence_id IN {licences:Array(String)}
                AND minute >= toStartOfMinute({since:DateTime64(3, 'UTC')})
            GROUP BY licence_id, connector_id
            LIMIT {rows:UInt32}
            """,
            {"licences": list(licences), "since": since, "rows": MAX_ROWS},
        )
        return {(row[0], row[1]): row[2] for row in rows}

    async def stuck_orders(self, licences: Sequence[str], now: datetime) -> list[StuckOrder]:
        """Order references whose last import attempts failed, since the first failure after
        their last success (or ever), within the last 7 days."""
        rows = await self._clickhouse.arows(
            """
            SELECT licence_id, connector_id, reference,
                minIf(occurred_at, level = 'error' AND occurred_at > succeeded) AS failing_since,
                argMaxIf(message, occurred_at, level = 'error') AS message
            FROM (
                SELECT licence_id, connector_id, reference, occurred_at, level, message,
                    max(if(level = 'success', occurred_at, toDateTime64(0, 3, 'UTC')))
                        OVER (PARTITION BY licence_id, connector_id, reference) AS succeeded
                FROM sync_events
                WHERE licence_id IN {licences:Array(String)}
                    AND occurred_at >= {since:DateTime64(3, 'UTC')}
                    AND startsWith(operation, 'order') AND reference != ''
                    AND level != 'alert'
            )
            GROUP BY licence_id, connector_id, reference
            HAVING countIf(level = 'error' AND occurred_at > succeeded) > 0
            ORDER BY failing_since
            LIMIT {rows:UInt32}
            """,
            {"licences": list(licences), "since": now - HISTORY, "rows": MAX_ROWS},
        )
        return [StuckOrder(*row) for row in rows]

    async def evidence(
        self,
        licence_id: str,
        since: datetime,
        *,
        connector_id: str | None = None,
        fingerprint: int | None = None,
        reference: str | None = None,
    ) -> list[Evidence]:
        """The latest errors behind an alert (at most 5)."""
        narrower, parameters = "", {"licence_id": licence_id, "since": since}
        if connector_id is not None:
            narrower += " AND connector_id = {connector_id:String}"
            parameters["connector_id"] = connector_id
        if fingerprint is not None:
            narrower += " AND fingerprint = {fingerprint:UInt64}"
            parameters["fingerprint"] = fingerprint
        if reference is not None:
            narrower += " AND reference = {reference:String}"
            parameters["reference"] = reference
        rows = await self._clickhouse.arows(
            f"""
            SELECT toString(event_id), occurred_at, substring(message, 1, 300) FROM sync_events
            WHERE licence_id = {{licence_id:String}}
                AND occurred_at >= {{since:DateTime64(3, 'UTC')}}
                AND level = 'error' {narrower}
            ORDER BY occurred_at DESC LIMIT 5
            """,
            parameters,
        )
        return [Evidence(event_id=row[0], occurred_at=row[1], message=row[2]) for row in rows]

    async def day_counts(self, licence_id: str, start: datetime, end: datetime) -> dict[str, int]:
        """Events per level between `start` and `end` (the digest's day)."""
        rows = await self._clickhouse.arows(
            """
            SELECT toString(level), sum(events) FROM sync_minutes
            WHERE licence_id = {licence_id:String} AND minute >= {start:DateTime('UTC')}
                AND minute < {end:DateTime('UTC')}
            GROUP BY level
            """,
            {"licence_id": licence_id, "start": start, "end": end},
        )
        return {row[0]: int(row[1]) for row in rows}

    async def new_groups_between(self, licence_id: str, start: datetime, end: datetime) -> int:
        rows = await self._clickhouse.arows(
            """
            SELECT count() FROM (
                SELECT fingerprint FROM fingerprint_minutes
                WHERE licence_id = {licence_id:String} AND level = 'error'
                GROUP BY fingerprint
                HAVING min(first_event_at) >= {start:DateTime64(3, 'UTC')}
                    AND min(first_event_at) < {end:DateTime64(3, 'UTC')}
            )
            """,
            {"licence_id": licence_id, "start": start, "end": end},
        )
        return int(rows[0][0])
