"""Support tickets' human numbers, ERO-YYYY-NNNNNN: the year of creation (UTC) and its sequence.

Chosen design: one writer, the control projection, numbers a ticket when it projects the
ticket's first event, from what ticket_numbers already holds (that year's highest sequence + 1),
and writes the number into the ticket's row (its `number`) and into ticket_numbers before the
row. Why it is unique and sequential across the fleet, processes, restarts and replays:

- every ticket event is keyed TICKET_KEY on the control topic (control_plane/bus.py), so they
  all sit in one partition, and a partition is consumed by one member of the consumer group at
  a time, in order: one numbering, one ticket after the other, whatever the number of API
  processes that created them concurrently;
- a number, once given, is looked up by ticket before anything is allocated: a batch consumed
  again after a crash (its offsets not yet committed), or the whole log replayed, finds the
  number given the first time and writes the same rows (ReplacingMergeTree folds them);
- the number is stored (ClickHouse) before the ticket's row and the offset's commit: a crash in
  between numbers nothing twice, and the state survives a restart of the broker (the embedded
  one forgets its topics) as it lives in ClickHouse, not in Kafka offsets;
- a consumer that lost the partition in a rebalance while finishing a batch (a zombie) numbers
  the same records from the same state as its successor: the same numbers.

What was rejected: a number from the API (two processes would read the same maximum: ClickHouse
has no compare-and-set); a rank computed when reading (a ticket projected late would renumber
the ones after it); the partition offset (the embedded broker's offsets restart at 0).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime

from infra.clickhouse import ClickHouse
from schemas.control import ControlEvent, Entity

TICKET_KEY = b"ero-tickets"
"""The control topic's key of every ticket event: one partition, one numbering."""

NUMBER = re.compile(r"ERO-[0-9]{4}-[0-9]{6}")


def ticket_number(year: int, seq: int) -> str:
    return f"ERO-{year:04d}-{seq:06d}"


def _ticket_id(event: ControlEvent) -> str:
    return str(event.after.get("ticket_id", event.entity_id))


class TicketNumbering:
    def __init__(self, clickhouse: ClickHouse) -> None:
        self._clickhouse = clickhouse

    async def _given(self, ticket_ids: list[str]) -> dict[str, str]:
        rows = await self._clickhouse.arows(
            "SELECT ticket_id, any(number) FROM ticket_numbers "
            "WHERE ticket_id IN {ids:Array(String)} GROUP BY ticket_id",
            {"ids": ticket_ids},
        )
        return {ticket_id: number for ticket_id, number in rows}

    async def _highest(self, year: int) -> int:
        rows = await self._clickhouse.arows(
            "SELECT max(seq) FROM ticket_numbers WHERE year = {year:UInt16}", {"year": year}
        )
        return int(rows[0][0] or 0) if rows else 0

    async def stamp(self, events: Sequence[ControlEvent]) -> list[ControlEvent]:
        """`events` in order, each ticket event carrying its ticket's number (given now to a
        ticket seen for the first time); what is numbered now is stored before this returns."""
        tickets = [e for e in events if e.entity is Entity.TICKET]
        if not tickets:
            return list(events)
        given = await self._given(sorted({_ticket_id(e) for e in tickets}))
        highest: dict[int, int] = {}
        fresh: list[tuple[str, str, int, int, str, datetime]] = []
        for event in tickets:
            ticket_id = _ticket_id(event)
            if ticket_id in given or event.kind != "ticket.created":
                continue
            year = event.issued_at.astimezone(UTC).year
            if year not in highest:
                highest[year] = await self._highest(year)
            highest[year] += 1
            given[ticket_id] = ticket_number(year, highest[year])
            fresh.append(
                (ticket_id, event.licence_id, year, highest[year], given[ticket_id],
                 datetime.now(UTC))
            )  # fmt: skip
        if fresh:
            columns = ("ticket_id", "licence_id", "year", "seq", "number", "numbered_at")
            await self._clickhouse.ainsert_columns(
                "ticket_numbers", columns, [list(column) for column in zip(*fresh, strict=True)]
            )
        return [_numbered(e, given) if e.entity is Entity.TICKET else e for e in events]


def _numbered(event: ControlEvent, given: dict[str, str]) -> ControlEvent:
    number = given.get(_ticket_id(event))
    if number is None or event.after.get("number") == number:
        return event
    return event.model_copy(update={"after": {**event.after, "number": number}})
