"""Rate limits of the writes a client can repeat (control commands, support tickets): a moving
window per key and per licence, counted by the `limits` library in this process's memory.

In-memory counters are exact for one API process. Several API processes each count their own
share; routed sticky by licence (as the control bus already asks, control_plane/bus.py), each
licence is counted by one process and the limits stay exact (docs/api.md, "Rate limits").
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter


@dataclass(frozen=True)
class RateLimits:
    """Limits in the `limits` notation ("10/minute;100/hour"); an empty text: no limit."""

    per_key: Mapping[str, str]
    """Per kind of write (e.g. "commands", "tickets"): what one key (credential) may do."""
    per_licence: str
    """What all keys of one licence may write together, every kind of write counted."""


def parse_limits(text: str) -> list[RateLimitItem]:
    """Raises ValueError on a malformed text (the settings check it at start-up)."""
    return parse_many(text) if text.strip() else []


def seconds_to_reset(
    limiter: MovingWindowRateLimiter, item: RateLimitItem, *identifiers: str
) -> int:
    """Seconds (1 at least) until `item`'s window for `identifiers` lets one more through."""
    stats = limiter.get_window_stats(item, *identifiers)
    return max(1, math.ceil(stats.reset_time - time.time()))


class WriteLimiter:
    """Called by the HTTP dependency of every limited route, on the event loop: never blocks
    (memory only), raises nothing but KeyError for a kind of write it was not configured with."""

    def __init__(self, limits: RateLimits) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._per_key = {kind: parse_limits(text) for kind, text in limits.per_key.items()}
        self._per_licence = parse_limits(limits.per_licence)

    def hit(self, kind: str, licence_id: str, key_id: str) -> float | None:
        """Count one write and return None, or count nothing and return the seconds to wait
        before the write would be allowed."""
        checks: Sequence[tuple[RateLimitItem, tuple[str, ...]]] = [
            *((item, (kind, "key", key_id)) for item in self._per_key[kind]),
            *((item, ("licence", licence_id)) for item in self._per_licence),
        ]
        # Test all before counting any: a refused write uses up none of the windows.
        for item, identifiers in checks:
            if not self._limiter.test(item, *identifiers):
                return float(seconds_to_reset(self._limiter, item, *identifiers))
        for item, identifiers in checks:
            self._limiter.hit(item, *identifiers)
        return None
