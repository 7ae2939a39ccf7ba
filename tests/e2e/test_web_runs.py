"""« Synchronisations » in a real headless Chromium against the suite's pipeline: lines posted
with sync_ids become runs (newest first, with their outcome), filtered by connector and outcome,
each run's lines one click away in Rapports; the dashboard shows each connector's health."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.support import browser as web
from tests.support.accounts import person
from tests.support.browser import visit
from tests.support.pipeline import Pipeline, wait_until
from tests.support.readers import dashboard_total
from tests.support.receivers import SmtpServer

pytestmark = pytest.mark.pipeline

NORTH = "runs-nord"
SOUTH = "runs-sud"
SUCCESS = ("ok", "Commande {ref} importée dans Sage 100c (bon de commande BC01877)")
ALERT = ("alerte", "Adresse de facturation incomplete sur le site pour la commande {ref}")
ERROR = ("error", "L'article '{ref}' est absent de la gestion commerciale")


def _line(connector: str, sync_id: str, at: datetime, kind: tuple[str, str]) -> dict[str, Any]:
    reference = f"RUN-{uuid.uuid4().hex[:6].upper()}"
    return {
        "event_id": str(uuid.uuid4()),
        "connector_id": connector,
        "occurred_at": at.isoformat(),
        "operation": "order.import",
        "status": kind[0],
        "message": kind[1].format(ref=reference),
        "reference": reference,
        "sync_id": sync_id,
    }


def _runs(now: datetime) -> list[dict[str, Any]]:
    """North: six runs ten minutes apart, the fourth with an alert, the last two minutes ago.
    South: five runs ten minutes apart, the last (three minutes ago) with an error."""
    lines = []
    tag = uuid.uuid4().hex[:6]
    for n in range(6):
        start = now - timedelta(minutes=3 + 10 * (5 - n))
        sync_id = f"nord-{tag}-{n}"
        lines += [
            _line(NORTH, sync_id, start, SUCCESS),
            _line(NORTH, sync_id, start + timedelta(seconds=40), ALERT if n == 3 else SUCCESS),
        ]
    for n in range(5):
        start = now - timedelta(minutes=4 + 10 * (4 - n))
        sync_id = f"sud-{tag}-{n}"
        lines += [
            _line(SOUTH, sync_id, start, SUCCESS),
            _line(SOUTH, sync_id, start + timedelta(seconds=20), ERROR if n == 4 else SUCCESS),
        ]
    return lines


def test_runs_are_listed_filtered_and_open_their_lines_and_the_dashboard_shows_health(
    pipeline: Pipeline, smtp_server: SmtpServer, page: Page
) -> None:
    licence = pipeline.create_licence(f"boutique des synchronisations {uuid.uuid4().hex[:6]}")
    owner = person(pipeline, smtp_server, licence.licence_id)
    lines = _runs(datetime.now(UTC))
    with (
        pipeline.client(licence.connector_key) as connector,
        pipeline.client(licence.reader_token) as reader,
    ):
        posted = connector.post("/v1/events", json=lines)
        assert posted.json()["accepted"] == len(lines), posted.text
        wait_until(
            lambda: (
                len(reader.get("/v1/sync-runs").json()["items"]) == 11
                and dashboard_total(reader) == len(lines)
            )
        )

    web.sign_in(page, pipeline.url, owner.email, owner.password)
    # The dashboard: north keeps its pace, south's last run failed.
    for connector_id, state, label in ((NORTH, "ok", "Normal"), (SOUTH, "failing", "En échec")):
        badge = page.locator(f"[data-connector='{connector_id}'] .health .badge")
        expect(badge).to_have_text(label)
        expect(badge).to_have_attribute("data-health", state)
    expect(page.locator(f"[data-connector='{NORTH}'] .health-note")).to_contain_text("10 min")
    web.shot_both_widths(page, "dashboard-health")

    page.get_by_role("navigation").get_by_role("link", name="Synchronisations").click()
    expect(page.locator("main[data-page='synchronisations']")).to_be_visible()
    rows = page.locator("#runs tbody tr")
    expect(rows).to_have_count(11)
    # Newest first: north's last run (two minutes ago), then south's failed one.
    expect(rows.nth(0)).to_contain_text(NORTH)
    expect(rows.nth(0).locator(".badge")).to_have_text("Réussie")
    expect(rows.nth(1).locator(".badge")).to_have_text("En échec")
    expect(page.locator("tr[data-status='with_alerts']")).to_have_count(1)
    expect(rows.nth(1)).to_contain_text("Succès : 1 · Alertes : 0 · Erreurs : 1")
    web.shot_both_widths(page, "runs")

    page.get_by_label("Connecteur", exact=True).select_option(NORTH)
    page.get_by_role("button", name="Filtrer").click()
    expect(rows).to_have_count(6)
    expect(page.locator(f"#runs tbody tr:not(:has-text('{NORTH}'))")).to_have_count(0)

    visit(page, "synchronisations")
    page.get_by_label("Résultat", exact=True).select_option("failed")
    page.get_by_role("button", name="Filtrer").click()
    expect(rows).to_have_count(1)
    failed = rows.nth(0).get_attribute("data-sync-run")
    assert failed is not None
    assert failed.startswith("sud-")

    rows.nth(0).get_by_role("link", name="Voir les lignes").click()
    expect(page.locator("main[data-page='rapports']")).to_be_visible()
    assert f"sync_id={failed}" in page.url
    reports = page.locator("tr.report")
    expect(reports).to_have_count(2)
    expect(page.locator("tr.report[data-level='error']")).to_have_count(1)
