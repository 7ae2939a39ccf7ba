"""« Suivi d'une référence » in a real headless Chromium, through the real pipeline: an order
fails to import at one sync, is imported at the next, then invoiced; the merchant opens it from
its report line and reads the steps, the error between them with its hint, the remote action
queued for it and the figures; the trends page shows the time to success."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.support import browser as web
from tests.support.accounts import person, session_client
from tests.support.pipeline import Pipeline, wait_until
from tests.support.receivers import SmtpServer

pytestmark = pytest.mark.pipeline


def test_a_reference_opened_from_its_report_line_shows_its_story(
    pipeline: Pipeline, smtp_server: SmtpServer, page: Page
) -> None:
    licence = pipeline.create_licence(f"suivi web {uuid.uuid4().hex[:6]}")
    merchant = person(pipeline, smtp_server, licence.licence_id)
    reference = f"CMD-{uuid.uuid4().hex[:8].upper()}"
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)

    def line(sync: int, minutes: int, operation: str, status: str, message: str) -> dict[str, str]:
        return {
            "event_id": str(uuid.uuid4()),
            "connector_id": "boutique-1",
            "occurred_at": (start + timedelta(minutes=minutes)).isoformat(),
            "operation": operation,
            "status": status,
            "reference": reference,
            "sync_id": f"sync-{sync}",
            "message": message.format(reference=reference),
        }

    failed = line(
        1, 0, "order.import", "error",
        "Commande {reference} : dossier Sage verrouillé par un autre utilisateur",
    )  # fmt: skip
    imported = line(2, 2, "order.import", "ok", "Commande {reference} importée dans Sage 100")
    invoiced = line(3, 5, "invoice.export", "ok", "Facture de la commande {reference} envoyée")
    with pipeline.client(licence.connector_key) as connector:
        for sync in (failed, imported, invoiced):  # one sync each
            assert connector.post("/v1/events", json=[sync]).json()["accepted"] == 1
    with pipeline.client(licence.reader_token) as reader:
        wait_until(
            lambda: (
                len(reader.get("/v1/reports", params={"reference": reference}).json()["items"]) == 3
            )
        )
    with session_client(pipeline, merchant, licence.licence_id) as member:
        queued = member.post(
            "/v1/actions", json={"action": "reimport_order", "order_reference": reference}
        )
        assert queued.status_code in (201, 202), queued.text
        wait_until(lambda: member.get(f"/v1/references/{reference}/timeline").json()["actions"])

    web.sign_in(page, pipeline.url, merchant.email, merchant.password)
    web.visit(page, f"rapports?reference={reference}")
    row = page.locator(f"tr.report[data-event-id='{failed['event_id']}']")
    row.get_by_role("link", name=reference).click()
    expect(page.locator("main[data-page='reference']")).to_be_visible()

    items = page.locator("#timeline > li")
    expect(items).to_have_count(4)
    assert [
        (item.get_attribute("data-kind"), item.get_attribute("data-level")) for item in items.all()
    ] == [("event", "error"), ("event", "success"), ("event", "success"), ("action", None)]
    expect(items.nth(0)).to_contain_text("Import dans l'ERP")
    expect(items.nth(0).locator(".hint")).not_to_be_empty()
    expect(items.nth(0).get_by_role("link", name="Base de connaissances")).to_have_attribute(
        "href", "/aide/dossier-verrouille?lang=fr"
    )
    expect(items.nth(1)).to_contain_text("Import dans l'ERP")
    expect(items.nth(2)).to_contain_text("Facture envoyée à la boutique")
    expect(items.nth(3)).to_contain_text("Réimporter une commande")
    expect(items.nth(3)).to_contain_text("en attente")

    summary = page.locator("#timeline-summary")
    expect(summary.locator("[data-figure='to-success'] dd")).to_have_text("2 min")
    expect(summary.locator("[data-figure='events'] dd")).to_have_text("3")
    expect(summary.locator("[data-figure='state'] dd")).to_contain_text("Facture envoyée")
    expect(page.locator("main")).not_to_contain_text(licence.licence_id)
    expect(page.locator("main")).not_to_contain_text(failed["event_id"])
    web.shot_both_widths(page, "suivi-reference")

    page.get_by_label("Référence (commande, article, client)").fill("CMD-JAMAIS-VUE")
    page.get_by_role("button", name="Voir le suivi").click()
    expect(page.locator(".problem")).to_contain_text("CMD-JAMAIS-VUE")

    page.evaluate("localStorage.setItem('ero.lang', 'en')")
    web.visit(page, f"reference?ref={reference}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Reference timeline")
    expect(items.nth(0)).to_contain_text("Import into the ERP")
    expect(items.nth(2)).to_contain_text("Invoice sent to the shop")
    expect(items.nth(3)).to_contain_text("Reimport an order")
    expect(page.locator("[data-figure='to-success'] dt")).to_have_text("Time to success")

    web.visit(page, "tendances")
    week = page.locator("#time-to-success tr[data-days='7']")
    expect(week).to_contain_text("2 min")  # the median of one reference: its own time
    web.shot_both_widths(page, "tendances-delai")
