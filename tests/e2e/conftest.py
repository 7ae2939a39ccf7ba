"""What the browser tests share: one Chromium per test module, and tabs of their own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from tests.support import browser as web


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with web.chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A tab at 1366 px in a context of its own, from a client address of its own."""
    with web.opened_alone(browser) as opened:
        yield opened


@pytest.fixture
def other_page(browser: Browser) -> Iterator[Page]:
    """A second such tab: another person at the same time (an operator in the console)."""
    with web.opened_alone(browser) as opened:
        yield opened
