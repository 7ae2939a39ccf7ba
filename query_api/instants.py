"""The instants a query accepts (`since`, `until`, a cursor's position): ISO 8601 text with an
offset, inside the range every table can hold.

The rollups' `minute` is a ClickHouse DateTime (1970-01-01 to 2106-02-07) and raw events a
DateTime64(3) (1900 to 2299): past those, ClickHouse refuses the parameter and Python's own
datetimes overflow once moved to UTC (year 1 at +01:00, 9999-12-31 at -01:00). A round range
inside the narrowest is accepted; ingest only stores events a few weeks old, so it holds them all.
Pydantic would take a bare number as seconds since the epoch (`until=0.5`): only text that reads
as a date and a time gets through.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Query
from pydantic import AfterValidator, AwareDatetime, BeforeValidator
from pydantic_core import PydanticCustomError

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
RANGE = "1970-01-01T00:00:00Z .. 2100-01-01T00:00:00Z"
ACCEPTED = (
    "ISO 8601 date and time with an offset (2026-03-01T08:00:00+01:00), between "
    "1970-01-01T00:00:00Z and 2100-01-01T00:00:00Z inclusive"
)

_DATE_AND_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def within_range(value: datetime) -> bool:
    """Whether an aware datetime lies in the accepted range (compared without leaving its zone,
    so an extreme offset cannot overflow)."""
    return EARLIEST <= value <= LATEST


def _iso_text(value: Any) -> Any:
    if isinstance(value, str) and _DATE_AND_TIME.match(value):
        return value
    raise PydanticCustomError(
        "instant_format",
        "date et heure ISO 8601 avec décalage attendues / expected an ISO 8601 date and time "
        "with an offset, e.g. 2026-03-01T08:00:00+01:00 (a number is not a date)",
    )


def _in_range(value: datetime) -> datetime:
    if not within_range(value):
        raise PydanticCustomError(
            "instant_range",
            "hors de la plage acceptée / outside the accepted range: {range}",
            {"range": RANGE},
        )
    return value.astimezone(UTC)


Instant = Annotated[AwareDatetime, BeforeValidator(_iso_text), AfterValidator(_in_range)]
"""A query-string instant: ISO 8601 with an offset, within RANGE, handed on in UTC."""


def instant_query(description: str) -> Any:
    """The Query() of an Instant parameter: its description always states what is accepted."""
    return Query(description=f"{description}. {ACCEPTED}")
