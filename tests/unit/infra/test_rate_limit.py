"""Writes are limited per key and per licence; a refused write uses up no window."""

from __future__ import annotations

import pytest

from infra.rate_limit import RateLimits, WriteLimiter, parse_limits


def test_per_key_then_per_licence() -> None:
    limiter = WriteLimiter(RateLimits({"tickets": "2/minute", "commands": ""}, "3/minute"))
    assert limiter.hit("tickets", "lic-a", "reader-a") is None
    assert limiter.hit("tickets", "lic-a", "reader-a") is None
    wait = limiter.hit("tickets", "lic-a", "reader-a")
    assert wait is not None
    assert wait >= 1
    assert wait <= 60  # within the 2/minute window
    # Another key of the same licence: its own key window, the licence's shared one.
    assert limiter.hit("tickets", "lic-a", "connector-a") is None
    assert limiter.hit("commands", "lic-a", "connector-a") is not None  # licence: 3 used
    # Other licences are not touched.
    assert limiter.hit("tickets", "lic-b", "reader-b") is None


def test_a_refused_write_is_not_counted() -> None:
    limiter = WriteLimiter(RateLimits({"commands": "1/minute"}, "2/minute"))
    assert limiter.hit("commands", "lic", "key-1") is None
    for _ in range(5):  # refused by the key's window: the licence's stays at 1
        assert limiter.hit("commands", "lic", "key-1") is not None
    assert limiter.hit("commands", "lic", "key-2") is None


def test_a_malformed_limit_is_refused() -> None:
    with pytest.raises(ValueError, match="couldn't parse"):
        parse_limits("sometimes")
    assert parse_limits(" ") == []
