"""Debian's Chromium driven by Playwright, as the browser tests run it, and what those tests do
on the pages again and again (sign in, follow a route, take a screenshot)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
# ../shared/NOTES.md: what works as root on these machines, without flooding the closed network.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "web"
LAPTOP = ViewportSize(width=1280, height=900)
WIDE = ViewportSize(width=1366, height=900)  # the laptop most merchants have
PHONE = ViewportSize(width=375, height=812)


@contextmanager
def chromium() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it (apt-get install chromium)")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        # A plain launch gives Chromium a fresh, empty user-data-dir of its own.
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=FLAGS
        )
        yield launched
        launched.close()


@contextmanager
def opened(browser: Browser, **context: Any) -> Iterator[Page]:
    """A page in a fresh context (its own sessionStorage); fails if the page's JavaScript
    threw."""
    made = browser.new_context(**{"viewport": LAPTOP, "locale": "fr-FR", **context})
    page = made.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    made.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def own_address() -> str:
    """A client address of the benchmarking range (RFC 2544), one per page: its sign-ins and
    answers count against it alone (X-Forwarded-For, which the API trusts from the loopback)."""
    return f"198.18.{random.randrange(256)}.{random.randrange(1, 255)}"


@contextmanager
def opened_alone(browser: Browser, viewport: ViewportSize = WIDE) -> Iterator[Page]:
    """`opened`, from a client address of its own."""
    with opened(
        browser, viewport=viewport, extra_http_headers={"X-Forwarded-For": own_address()}
    ) as page:
        yield page


def shot(page: Page, name: str) -> None:
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def shot_both_widths(page: Page, name: str) -> None:
    """The page as it is now at 1366 px and at 375 px (`name`-1366, `name`-375), then back to
    1366 px."""
    for size in (WIDE, PHONE):
        page.set_viewport_size(size)
        shot(page, f"{name}-{size['width']}")
    page.set_viewport_size(WIDE)


def visit(page: Page, route: str) -> None:
    """Follow a bookmarkable URL of the interface and wait until its page has rendered."""
    page.evaluate("hash => { location.hash = hash; }", f"#/{route}")
    expect(page.locator(f"main[data-page='{route.split('?')[0]}']")).to_be_visible()


def sign_in(
    page: Page, base_url: str, email: str, password: str, lands: str = "tableau-de-bord"
) -> None:
    """« Connexion E-Connecteur Cloud » with an e-mail and a password; waits for the page it
    `lands` on (the dashboard; "sans-licence" for a person holding none)."""
    page.goto(f"{base_url}/#/connexion")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Mot de passe", exact=True).fill(password)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.locator(f"main[data-page='{lands}']")).to_be_visible()


def session_token(page: Page) -> str:
    token = page.evaluate("sessionStorage.getItem('ero.token')")
    assert isinstance(token, str), token
    return token
