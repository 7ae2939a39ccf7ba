"""A 422 quotes a short excerpt of what was sent, whatever its size."""

from __future__ import annotations

import time

from infra.http_errors import EXCERPT_CHARS, excerpt


def test_short_values_are_quoted_as_they_are() -> None:
    assert [excerpt(v) for v in (None, True, 1.5, 42, "court")] == [None, True, 1.5, 42, "court"]


def test_large_values_become_bounded_excerpts_in_bounded_time() -> None:
    huge = {"name": "n" * 30_000_000, "items": list(range(1_000_000)), "big": 10**5000}
    started = time.perf_counter()
    shown = [excerpt(huge), excerpt("x" * 30_000_000), excerpt(10**5000)]
    assert time.perf_counter() - started < 0.5  # echoing 30 MB takes longer; this takes ~1 ms
    assert all(isinstance(s, str) and len(s) <= EXCERPT_CHARS for s in shown)
