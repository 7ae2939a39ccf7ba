"""The fleet's error groups over a window, from the projections of fingerprint_minutes.

A window on whole minutes is read as its whole days, from the projection `fleet_days`, the
whole hours either side of them, from `fleet_hours`, and the minutes left at either end, from
`fleet_minutes` (migration m0013): a row per group and day, hour or minute (and part). Each
piece gives per group partial aggregates whose union is exact: counts add up, the licences and
connectors affected come as sets and are united (a licence seen in two pieces counts once),
first and last seen are the min and the max, and the sample message and next step are those
of the latest line. A window without a whole day (or hour) is read from the finer pieces alone.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from projections.migrations.m0013_fleet_groups import AGGREGATES
from query_api.windows import floor_to

# Finest first: (the projection's time key, its step, the prefix of its bounds' parameters).
_LEVELS = (
    ("minute", timedelta(minutes=1), "m"),
    ("toStartOfHour(minute)", timedelta(hours=1), "h"),
    ("toStartOfDay(minute)", timedelta(days=1), "d"),
)

# One alias per aggregate of m0013, in its order.
_NAMES = (
    "p_operation", "p_origin", "p_level", "p_events", "p_licences", "p_connectors", "p_first",
    "p_last", "p_template", "p_message", "p_remediation",
)  # fmt: skip
_PARTIAL = ", ".join(
    f"{aggregate} AS {name}" for aggregate, name in zip(AGGREGATES, _NAMES, strict=True)
)

GROUP_COLUMNS = """
    fingerprint, any(p_operation), any(p_origin), max(p_level), sum(p_events) AS count,
    length(groupUniqArrayArray(p_connectors)),
    arraySlice(arraySort(groupUniqArrayArray(p_connectors)), 1, {sample:UInt32}),
    min(p_first), max(p_last), any(p_template),
    argMax(p_message, p_last), argMax(p_remediation, p_last),
    length(groupUniqArrayArray(p_licences)) AS licences
"""
"""Per group, from `partials()`: the columns of an error group, then its licences affected."""

# ClickHouse rewrites `toStartOfDay(minute) >= x` as `minute >= x` (a filter's preimage), which
# no longer names fleet_days' key: the days would be read from the table itself.
SETTINGS = "SETTINGS optimize_time_filter_with_preimage = 0"


def _range(key: str, since: str, until: str) -> str:
    return f"{key} >= {{{since}:DateTime('UTC')}} AND {key} < {{{until}:DateTime('UTC')}}"


def _nested(since: datetime, until: datetime) -> list[tuple[datetime, datetime]]:
    """Per level, finest first, its range: the whole steps it holds of the finer level's, or
    empty (at the finer one's end) when it holds none."""
    ranges = []
    low, high = since, until
    for _, step, _ in _LEVELS:
        inner = floor_to(low + step - timedelta(microseconds=1), step), floor_to(high, step)
        low, high = inner if inner[0] < inner[1] else (high, high)
        ranges.append((low, high))
    return ranges


def partials(since: datetime, until: datetime, condition: str = "") -> tuple[str, dict[str, Any]]:
    """SQL and its parameters: per group, the partial aggregates of each piece of [since, until)
    (both on whole minutes), UNION ALL; a level holding nothing of the window is not read (an
    empty range of a day would be looked for in the table itself). `condition` (on
    `fingerprint` only, the one column the projections hold besides the time) narrows them."""
    ranges = _nested(since, until)
    parameters: dict[str, Any] = {}
    pieces: list[str] = []
    for index, ((key, _, prefix), (low, high)) in enumerate(zip(_LEVELS, ranges, strict=True)):
        parameters[f"{prefix}_since"], parameters[f"{prefix}_until"] = low, high
        if index + 1 == len(_LEVELS):
            if low < high or not pieces:
                pieces.append(_range(key, f"{prefix}_since", f"{prefix}_until"))
            continue
        inner_low, inner_high = ranges[index + 1]
        inner = _LEVELS[index + 1][2]
        if low < inner_low or inner_high < high:
            pieces.append(
                f"(({_range(key, f'{prefix}_since', f'{inner}_since')})"
                f" OR ({_range(key, f'{inner}_until', f'{prefix}_until')}))"
            )
    extra = f" AND {condition}" if condition else ""
    sql = " UNION ALL ".join(
        f"SELECT fingerprint, {_PARTIAL} FROM fingerprint_minutes WHERE {piece}{extra}"
        " GROUP BY fingerprint"
        for piece in pieces
    )
    return sql, parameters
