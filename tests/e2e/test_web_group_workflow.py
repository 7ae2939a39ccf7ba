"""The Groupes d'erreurs page's follow-up in a real headless Chromium against the suite's
pipeline: a member resolves a group (it leaves the open groups), finds it under « Résolus »,
comments it and reads its history under their name; ignores another for an hour; a resolved
group with a new event comes back marked as a regression."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.support import browser as web
from tests.support.accounts import person
from tests.support.browser import visit
from tests.support.pipeline import Pipeline, wait_until
from tests.support.receivers import SmtpServer

pytestmark = pytest.mark.pipeline

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# Rules no other test ranks the fleet by: every licence of the suite shares the fleet's groups.
NEGATIVE_STOCK = "Quantité en stock négative pour l'article PORTE-CLES"
UNKNOWN_COUNTRY = "Pays inconnu dans la gestion commerciale : XZ"


def _event(message: str, minutes_ago: int = 0) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "connector_id": "boutique-sud",
        "occurred_at": (datetime.now(UTC) - timedelta(minutes=minutes_ago)).isoformat(),
        "operation": "order.import",
        "status": "error",
        "message": message,
    }


def test_a_member_resolves_comments_and_reads_the_history_from_the_page(
    pipeline: Pipeline, smtp_server: SmtpServer, page: Page
) -> None:
    licence = pipeline.create_licence("boutique du suivi")
    member = person(pipeline, smtp_server, licence.licence_id, role="member")
    with pipeline.client(licence.connector_key) as connector:
        sent = [_event(NEGATIVE_STOCK, 3), _event(UNKNOWN_COUNTRY, 2)]
        assert connector.post("/v1/events", json=sent).status_code == 202
    with pipeline.client(licence.reader_token) as reader:
        wait_until(lambda: len(reader.get("/v1/groups").json()["groups"]) == 2)

    web.sign_in(page, pipeline.url, member.email, member.password)
    visit(page, "groupes")
    rows = page.locator("#groups tbody tr")
    expect(rows).to_have_count(2)
    quota = rows.filter(has_text="Pays")
    expect(quota.locator(".group-state")).to_have_text("Ouvert")
    quota.get_by_role("button", name="Résoudre").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Quantité")

    page.get_by_role("link", name="Résolus").click()
    expect(page.locator("main[data-page='groupes']")).to_be_visible()
    expect(rows).to_have_count(1)
    resolved = rows.filter(has_text="Pays")
    expect(resolved.locator(".group-state")).to_have_text("Résolu")
    resolved.locator("summary", has_text="Historique et commentaires").click()
    history = resolved.locator(".group-history li")
    expect(history).to_have_count(1)
    expect(history.first).to_contain_text(member.email)
    expect(history.first).to_contain_text("résolu")
    resolved.get_by_label("Votre commentaire").fill("Pays XZ ajouté dans la gestion commerciale")
    resolved.get_by_role("button", name="Commenter").click()
    expect(page.locator("#status")).to_have_text("Commentaire ajouté.")

    again = page.locator("#groups tbody tr").filter(has_text="Pays")
    again.locator("summary").click()
    expect(again.locator(".group-history li")).to_have_count(2)
    newest = again.locator(".group-history li").first
    expect(newest).to_contain_text("commentaire")
    expect(newest.locator(".comment")).to_have_text("Pays XZ ajouté dans la gestion commerciale")
    expect(newest).to_contain_text(member.email)
    assert not UUID.search(page.locator("main").inner_text())
    web.shot_both_widths(page, "group-workflow-history")

    page.get_by_role("link", name="Tous").click()
    expect(page.locator("#groups tbody tr")).to_have_count(2)
    page.get_by_role("link", name="Ouverts").click()
    timeout = page.locator("#groups tbody tr").filter(has_text="Quantité")
    timeout.get_by_role("button", name="Ignorer ▸").click()
    timeout.get_by_role("button", name="1 h", exact=True).click()
    expect(page.locator("#no-groups")).to_be_visible()
    page.get_by_role("link", name="Ignorés").click()
    ignored = page.locator("#groups tbody tr")
    expect(ignored).to_have_count(1)
    expect(ignored.locator(".group-state")).to_have_text("Ignoré")
    expect(ignored.get_by_role("button", name="Rouvrir")).to_be_visible()

    with pipeline.client(licence.connector_key) as connector:
        assert connector.post("/v1/events", json=[_event(UNKNOWN_COUNTRY)]).status_code == 202
    with pipeline.client(licence.reader_token) as reader:
        wait_until(lambda: reader.get("/v1/groups").json()["groups"])
    visit(page, "groupes?etat=all")
    every = page.locator("#groups tbody tr")
    expect(every).to_have_count(2)
    expect(every.filter(has_text="Pays").locator(".group-state")).to_have_text("Régression")
    expect(every.filter(has_text="Quantité").locator(".group-state")).to_have_text("Ignoré")
    web.shot_both_widths(page, "group-workflow-regressed")


def test_a_viewer_reads_the_groups_without_their_buttons(
    pipeline: Pipeline, smtp_server: SmtpServer, page: Page
) -> None:
    licence = pipeline.create_licence("boutique en lecture")
    viewer = person(pipeline, smtp_server, licence.licence_id, role="viewer")
    with pipeline.client(licence.connector_key) as connector:
        assert connector.post("/v1/events", json=[_event(NEGATIVE_STOCK, 1)]).status_code == 202
    with pipeline.client(licence.reader_token) as reader:
        wait_until(lambda: reader.get("/v1/groups").json()["groups"])
    web.sign_in(page, pipeline.url, viewer.email, viewer.password)
    visit(page, "groupes")
    row = page.locator("#groups tbody tr")
    expect(row).to_have_count(1)
    expect(page.locator("#role-note")).to_be_visible()
    expect(row.get_by_role("button")).to_have_count(0)
    row.locator("summary").click()
    expect(row.locator(".group-details")).to_contain_text("Personne n'a encore suivi ce groupe.")
    expect(row.locator("textarea")).to_have_count(0)
