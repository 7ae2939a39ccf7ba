"""The knowledge base in a real headless Chromium: a merchant opens an article from a report
line and answers « non » with a reason and a comment; an operator sees that answer in the
vendor's console."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect

from tests.support import browser as web
from tests.support.accounts import operator_person, person
from tests.support.pipeline import Pipeline, wait_until
from tests.support.receivers import SmtpServer

pytestmark = pytest.mark.pipeline


@pytest.fixture
def console(other_page: Page) -> Page:
    """The operator's tab."""
    return other_page


def test_an_article_opened_from_a_report_line_rated_no_is_seen_in_the_console(
    pipeline: Pipeline, smtp_server: SmtpServer, page: Page, console: Page
) -> None:
    licence = pipeline.create_licence(f"aide web {uuid.uuid4().hex[:6]}")
    merchant = person(pipeline, smtp_server, licence.licence_id)
    reference = f"CMD-{uuid.uuid4().hex[:8].upper()}"
    line = {
        "event_id": str(uuid.uuid4()),
        "connector_id": "boutique-1",
        "occurred_at": datetime.now(UTC).isoformat(),
        "operation": "order.import",
        "status": "error",
        "reference": reference,
        "message": f"Commande {reference} : dossier Sage verrouillé par un autre utilisateur",
    }
    with pipeline.client(licence.connector_key) as connector:
        assert connector.post("/v1/events", json=[line]).json()["accepted"] == 1
    with pipeline.client(licence.reader_token) as reader:
        wait_until(
            lambda: reader.get("/v1/reports", params={"reference": reference}).json()["items"]
        )

    web.sign_in(page, pipeline.url, merchant.email, merchant.password)
    web.visit(page, f"rapports?reference={reference}")
    detail = page.locator(f"tr.detail[data-event-id='{line['event_id']}']")
    detail.get_by_role("link", name="Base de connaissances").click()
    expect(page).to_have_url(f"{pipeline.url}/aide/dossier-verrouille?lang=fr")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Dossier de la gestion commerciale verrouillé"
    )
    expect(
        page.get_by_role("heading", name="Est-ce bloquant pour la synchronisation ?")
    ).to_be_visible()
    web.shot_both_widths(page, "aide-article")

    page.get_by_role("button", name="Non", exact=True).click()
    expect(page.locator("#feedback-sorry")).to_have_text(
        "Désolé ! Nous n'avons pas pu vous être utile."
    )
    page.get_by_role("button", name="Envoyer").click()
    expect(page.locator("#feedback-outcome")).to_have_text(
        "Sélectionner au moins l'une des raisons"
    )
    page.get_by_label("Il manque des informations").check()
    comment = f"Quelle sauvegarde verrouille le dossier ? {uuid.uuid4().hex[:6]}"
    page.get_by_label("Commentaire (facultatif)").fill(comment)
    web.shot_both_widths(page, "aide-article-non")
    page.get_by_role("button", name="Envoyer").click()
    expect(page.locator("#feedback-outcome")).to_have_text(
        "Commentaires envoyés. Nous apprécions vos efforts et nous allons corriger l'article."
    )
    expect(page.locator("#feedback-more")).to_be_hidden()

    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("The ERP company file is locked")
    expect(page.get_by_role("heading", name="Was this article helpful?")).to_be_visible()
    page.get_by_label("Search the knowledge base").fill("Safety MODE")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#help-results a").first).to_have_text("Safety mode stopped a sync")
    web.shot_both_widths(page, "aide-recherche")

    operator = operator_person(pipeline, smtp_server)
    console.goto(f"{pipeline.url}/console")
    expect(console).to_have_url(f"{pipeline.url}/#/connexion?suite=console")
    console.get_by_label("E-mail").fill(operator.email)
    console.get_by_label("Mot de passe", exact=True).fill(operator.password)
    console.get_by_role("button", name="Se connecter").click()
    console.get_by_role("link", name="Base de connaissances").click()
    expect(console.locator("main[data-page='aide']")).to_be_visible()
    row = console.locator("#help-articles tr[data-slug='dossier-verrouille']")
    expect(row.locator("[data-reason='incomplete']")).to_contain_text(
        re.compile(r"Il manque des informations : \d+")
    )
    expect(row).to_contain_text(re.compile(r"\d+ %"))
    comments = console.locator(".help-comments[data-slug='dossier-verrouille']")
    expect(comments).to_contain_text(comment)
    expect(comments).to_contain_text("Il manque des informations")
    web.shot_both_widths(console, "console-aide")
