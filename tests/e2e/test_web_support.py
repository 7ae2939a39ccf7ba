"""Support that arrives, in a real headless Chromium: the merchant sets the shop's contact
details, opens a ticket from « Assistance », an operator answers it from the console, and the
merchant reads the answer and the new status."""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import Page, expect

from tests.support import browser as web
from tests.support.accounts import operator_person, person
from tests.support.browser import sign_in
from tests.support.pipeline import Pipeline, wait_until
from tests.support.receivers import SmtpServer

pytestmark = pytest.mark.pipeline

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@pytest.fixture
def merchant_page(page: Page) -> Page:
    return page


@pytest.fixture
def console_page(other_page: Page) -> Page:
    return other_page


def no_uuid_on_screen(page: Page) -> None:
    text = page.locator("body").inner_text()
    assert not UUID.search(text), UUID.search(text)


def test_a_ticket_opened_in_assistance_is_answered_in_the_console(
    pipeline: Pipeline, smtp_server: SmtpServer, merchant_page: Page, console_page: Page
) -> None:
    shop = f"Boutique Dupont {secrets.token_hex(3)}"
    licence = pipeline.create_licence(shop)
    merchant = person(pipeline, smtp_server, licence.licence_id, "owner")
    page = merchant_page
    sign_in(page, pipeline.url, merchant.email, merchant.password)

    # Mon compte: the shop's contact details, each refusal beside its field.
    page.get_by_role("link", name="Mon compte").click()
    expect(page.locator("main[data-page='compte']")).to_be_visible()
    expect(page.locator("#versions-none")).to_be_visible()
    page.get_by_label("E-mail de contact").fill("gerant@dupont.example")
    page.get_by_label("Adresse de la boutique").fill("https://dupont.example")
    page.get_by_label("Téléphone").fill("appelez-moi")
    page.get_by_role("button", name="Enregistrer les coordonnées").click()
    expect(page.locator("#contact-phone-error")).to_contain_text("Numéro de téléphone invalide")
    expect(page.get_by_label("Téléphone")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("Téléphone").fill("+33 1 23 45 67 89")
    page.get_by_role("button", name="Enregistrer les coordonnées").click()
    expect(page.locator("#contact-outcome")).to_have_text("Coordonnées enregistrées.")
    expect(page.locator("#contact-phone-error")).to_be_hidden()
    web.shot_both_widths(page, "compte-coordonnees")

    # Assistance: a new ticket, pre-filled with what was just set.
    page.get_by_role("link", name="Assistance").click()
    expect(page.locator("main[data-page='assistance']")).to_be_visible()
    expect(page.locator("#tickets-none")).to_be_visible()
    page.get_by_role("link", name="Nouveau ticket").click()
    expect(page.get_by_label("E-mail")).to_have_value("gerant@dupont.example")
    expect(page.get_by_label("Adresse de la boutique")).to_have_value("https://dupont.example")
    page.get_by_label("Sujet").fill("Commandes non importées")
    page.get_by_label("Message").fill("Bonjour, les commandes d'hier ne sont pas arrivées.")
    page.get_by_role("button", name="Envoyer le ticket").click()
    heading = page.locator("main h1")
    expect(heading).to_have_text(re.compile(r"^ERO-\d{4}-\d{6} — Commandes non importées$"))
    number = heading.inner_text().split(" — ")[0]
    expect(page.locator(".ticket-meta .badge")).to_have_text("Ouvert")
    no_uuid_on_screen(page)

    # The console: the inbox across licences, the ticket with its context; answered.
    console = console_page
    operator = operator_person(pipeline, smtp_server)
    colleague = operator_person(pipeline, smtp_server)
    console.goto(f"{pipeline.url}/console")
    expect(console).to_have_url(f"{pipeline.url}/#/connexion?suite=console")
    console.get_by_label("E-mail").fill(operator.email)
    console.get_by_label("Mot de passe", exact=True).fill(operator.password)
    console.get_by_role("button", name="Se connecter").click()
    expect(console.locator("main[data-page='licences']")).to_be_visible()
    console.get_by_role("link", name="Assistance").click()
    expect(console.locator("main[data-page='assistance']")).to_be_visible()
    console.get_by_label("Statut").select_option("open")
    # Any licence of the fleet is found by its name, not only those of the tickets in view.
    console.get_by_label("Chercher une licence").fill(shop)
    # Narrowed to the one licence found (beside « Toutes les licences »).
    expect(console.locator("#f-licence option")).to_have_count(2)
    chosen = console.locator(f"#f-licence option[value='{licence.licence_id}']")
    expect(chosen).to_have_text(shop)
    console.locator("#f-licence").select_option(licence.licence_id)
    console.get_by_role("button", name="Filtrer").click()
    expect(console.locator("#f-licence")).to_have_value(licence.licence_id)
    row = console.locator(f"#inbox tr[data-number='{number}']")
    expect(row).to_contain_text(shop)
    expect(row).to_contain_text("Ouvert")
    no_uuid_on_screen(console)
    web.shot_both_widths(console, "console-assistance")
    row.get_by_role("link", name=number).click()
    expect(console.locator("main h1")).to_contain_text(number)
    expect(console.locator("#ticket-context")).to_contain_text("+33 1 23 45 67 89")
    expect(console.locator("#ticket-context")).to_contain_text("gerant@dupont.example")
    expect(console.locator("#deliveries")).to_be_visible()
    console.get_by_role("button", name="M'assigner").click()
    expect(console.locator("#assignee")).to_have_text(operator.email)
    expect(console.locator(".ticket-meta .badge")).to_have_text("En cours")
    console.get_by_label("Assigner à").select_option(colleague.email)
    console.get_by_role("button", name="Assigner", exact=True).click()
    expect(console.locator("#assignee")).to_have_text(colleague.email)
    console.get_by_label("Votre réponse").fill("Videz le cache E-Connecteur, puis relancez.")
    console.get_by_role("button", name="Répondre", exact=True).click()
    expect(console.locator("#thread li[data-side='vendor']")).to_contain_text("Videz le cache")
    expect(console.locator("#deliveries tr[data-channel='email']")).to_have_attribute(
        "data-state", "delivered"
    )

    # The answer e-mailed to the shop is one more delivery, delivered a moment later.
    def merchant_delivered() -> bool:
        console.reload()
        found = console.locator("#deliveries tr[data-channel='merchant']")
        return found.get_attribute("data-state") == "delivered"

    wait_until(merchant_delivered, every=0.5)
    no_uuid_on_screen(console)
    web.shot_both_widths(console, "console-ticket")

    # The merchant reads the answer, with the status it gave.
    page.reload()
    expect(page.locator("#thread li[data-side='vendor']")).to_contain_text(
        "Videz le cache E-Connecteur, puis relancez."
    )
    expect(page.locator(".ticket-meta .badge")).to_have_text("En cours")
    web.shot_both_widths(page, "assistance-ticket")
    page.get_by_label("Votre réponse").fill("Merci, c'est reparti.")
    page.get_by_role("button", name="Envoyer la réponse").click()
    expect(page.locator("#thread li[data-side='merchant']")).to_have_count(2)
    page.get_by_role("link", name="Retour aux tickets").click()
    listed = page.locator(f"#tickets tr[data-number='{number}']")
    expect(listed).to_contain_text("Commandes non importées")
    expect(listed).to_contain_text("En cours")
    no_uuid_on_screen(page)
    web.shot_both_widths(page, "assistance")

    # The console resolves it; the merchant's list says so.
    console.get_by_role("button", name="Marquer résolu").click()
    expect(console.locator(".ticket-meta .badge")).to_have_text("Résolu")
    page.reload()
    expect(page.locator(f"#tickets tr[data-number='{number}']")).to_contain_text("Résolu")
    page.get_by_role("button", name="Switch to English").click()
    expect(page.get_by_role("link", name="Support", exact=True)).to_be_visible()
    expect(page.locator(f"#tickets tr[data-number='{number}']")).to_contain_text("Resolved")
    console.get_by_role("button", name="Switch to English").click()
    expect(console.get_by_role("button", name="Reopen")).to_be_visible()
    expect(console.locator("#deliveries")).to_contain_text("Delivered")
    web.shot_both_widths(console, "console-ticket-en")
    page.get_by_role("button", name="Passer en français").click()

    # The old address of the form still leads to it.
    page.evaluate("() => { location.hash = '#/ticket'; }")
    expect(page).to_have_url(re.compile(r"#/assistance\?nouveau$"))
    expect(page.locator("#ticket-form")).to_be_visible()
