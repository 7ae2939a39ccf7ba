"""What the browser tests share: one Chromium per test module, and tabs of their own; what the
alert tests share: a real webhook receiver, and licences with only the rules they turn on."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from tests.support import browser as web
from tests.support.alert_rules import shops
from tests.support.pipeline import Pipeline
from tests.support.receivers import HookReceiver, SmtpServer


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


@pytest.fixture(scope="module")
def hooks() -> Iterator[HookReceiver]:
    with HookReceiver().running() as receiver:
        yield receiver


@pytest.fixture
def shop_with(pipeline: Pipeline, smtp_server: SmtpServer, hooks: HookReceiver) -> Iterator[Any]:
    """make(**rules) -> a licence with one webhook channel and only `rules` on."""
    yield from shops(pipeline, smtp_server, hooks)
