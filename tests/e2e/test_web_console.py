"""The vendor's console (/console) in a real headless Chromium: an operator signs in as any
person does and lands in it; someone who is not an operator is told it is not for them."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support import browser as web
from tests.support.accounts import mails_to, new_email, operator_person, person
from tests.support.browser import shot
from tests.support.pipeline import Pipeline, wait_until
from tests.support.receivers import SmtpServer

pytestmark = pytest.mark.pipeline


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with web.chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    # A client address of its own (RFC 2544's range): its sign-ins count against it alone.
    address = f"198.18.{random.randrange(256)}.{random.randrange(1, 255)}"
    with web.opened(browser, extra_http_headers={"X-Forwarded-For": address}) as opened:
        yield opened


def sign_in_to_console(page: Page, base_url: str, email: str, password: str) -> None:
    page.goto(f"{base_url}/console")
    expect(page).to_have_url(f"{base_url}/#/connexion?suite=console")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Mot de passe", exact=True).fill(password)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.locator("main[data-page='licences']")).to_be_visible()


def test_an_operator_opens_a_licence_from_the_console(
    pipeline: Pipeline, smtp_server: SmtpServer, page: Page
) -> None:
    operator = operator_person(pipeline, smtp_server)
    sign_in_to_console(page, pipeline.url, operator.email, operator.password)
    expect(page.locator("#who")).to_have_text(operator.email)
    owner = new_email("owner")
    page.get_by_label("Nom de la boutique").fill("Boutique ouverte en console")
    page.get_by_label("E-mail du propriétaire (facultatif)").fill(owner)
    page.get_by_role("button", name="Créer la licence").click()
    expect(page.locator("#licence-created")).to_have_text(
        "Licence « Boutique ouverte en console » créée."
    )
    wait_until(lambda: len(mails_to(smtp_server, owner)) == 1)
    shot(page, "console-licences")


def test_a_merchant_is_told_the_console_is_not_theirs(
    pipeline: Pipeline, smtp_server: SmtpServer, page: Page
) -> None:
    licence = pipeline.create_licence("boutique hors console")
    merchant = person(pipeline, smtp_server, licence.licence_id)
    page.goto(f"{pipeline.url}/#/connexion?suite=console")
    page.get_by_label("E-mail").fill(merchant.email)
    page.get_by_label("Mot de passe", exact=True).fill(merchant.password)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.locator("main[data-page='non-operateur'] h1")).to_have_text(
        "Console réservée à l'équipe de l'éditeur"
    )
    expect(page.locator("#top")).to_be_hidden()
