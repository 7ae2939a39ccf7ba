"""« Gérer vos configurations » in a real headless Chromium against the suite's pipeline: a member
creates, edits (confirming a risky setting), restores and activates a configuration from the
page, and the connector then receives it from /v1/agent/sync; the API's 422 is shown next to the
field it names; the diff names fields, not JSON pointers; a viewer only reads."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.support import browser as web
from tests.support.accounts import person
from tests.support.browser import visit
from tests.support.pipeline import Pipeline
from tests.support.receivers import SmtpServer

pytestmark = pytest.mark.pipeline

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
CONNECTOR = "boutique-nord"
# What the first version holds once the schema's defaults are filled in: what the connector
# receives after version 1 is restored.
FIRST_DOCUMENT: dict[str, Any] = {
    "erp": "sage100",
    "shop": "prestashop",
    "schedule_minutes": 30,
    "safety_mode": True,
    "orders": {"enabled": True, "import_statuses": ["paid", "shipped"], "lookback_days": 7},
    "products": {
        "enabled": True,
        "stock": True,
        "prices": True,
        "price_grids": False,
        "price_grid_cleanup": False,
    },
    "customers": {"enabled": True, "account_prefix": ""},
    "options": {},
}


def test_a_member_creates_edits_restores_and_activates_what_the_connector_loads(
    pipeline: Pipeline, smtp_server: SmtpServer, page: Page
) -> None:
    licence = pipeline.create_licence("boutique des configurations")
    member = person(pipeline, smtp_server, licence.licence_id, role="member")
    web.sign_in(page, pipeline.url, member.email, member.password)
    visit(page, "configurations")
    page.get_by_role("link", name="Nouvelle configuration").click()

    form = page.locator("#configuration-form")
    form.get_by_label("Nom", exact=True).fill("Sage vers PrestaShop")
    form.get_by_label("Connecteur", exact=True).fill(CONNECTOR)
    form.get_by_label("ERP", exact=True).select_option(label="Sage 100")
    form.get_by_label("Boutique", exact=True).select_option(label="PrestaShop")
    form.get_by_label("Statuts importés").fill("paid\nshipped")
    minutes = form.get_by_label("Intervalle de synchronisation (minutes)")
    minutes.fill("3")
    form.get_by_role("button", name="Créer la configuration").click()
    # The API's 422, next to the field its `loc` names, in the page's language.
    error = page.locator("#cfg-document-schedule_minutes-error")
    expect(error).to_have_text("Au moins 5.")
    expect(minutes).to_have_attribute("aria-invalid", "true")
    web.shot_both_widths(page, "configuration-form-error")

    minutes.fill("30")
    form.get_by_role("button", name="Créer la configuration").click()
    expect(page.locator("#versions tbody tr")).to_have_count(1)
    [created] = _configurations(pipeline, licence.reader_token)
    config_id = created["configuration_id"]
    assert (created["connector_id"], created["document"]) == (CONNECTOR, FIRST_DOCUMENT)

    # An edit turning the safety mode off asks first, saying what it does.
    row = page.locator(f"tr[data-configuration='{config_id}']")
    row.get_by_role("link", name="Modifier").click()
    form.get_by_label("Mode de sécurité").uncheck()
    form.get_by_label("Jours repris").fill("14")
    form.get_by_role("button", name="Enregistrer").click()
    dialog = page.locator("#risky-settings")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Mode de sécurité : Sans le mode de sécurité")
    web.shot_both_widths(page, "configuration-risk")
    dialog.get_by_role("button", name="Enregistrer quand même").click()
    expect(page.locator("#versions tbody tr")).to_have_count(2)

    # The raw JSON mode: its errors are shown too, and what it saves is the document typed.
    row.get_by_role("link", name="Modifier").click()
    page.get_by_role("button", name="JSON brut").click()
    raw = page.get_by_label("Document JSON")
    typed = {**_configurations(pipeline, licence.reader_token)[0]["document"]}
    raw.fill(json.dumps({**typed, "shedule": 5}))
    form.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("#cfg-json-errors")).to_contain_text("shedule : Ce paramètre n'existe pas.")
    web.shot_both_widths(page, "configuration-json")
    raw.fill(json.dumps({**typed, "options": {"tva": "ht"}}))
    page.get_by_role("button", name="Formulaire").click()
    expect(form.get_by_label("Options avancées")).to_have_value('{\n  "tva": "ht"\n}')
    expect(form.get_by_label("Mode de sécurité")).not_to_be_checked()
    form.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("#versions tbody tr")).to_have_count(3)

    # The versions say who and when; the diff names the fields, before → after.
    versions = page.locator("#versions tbody")
    expect(versions).to_contain_text(member.email)
    page.get_by_label("De la version").select_option("1")
    page.get_by_label("À la version").select_option("2")
    page.get_by_role("button", name="Comparer").click()
    safety = page.locator("#diff tr[data-path='/document/safety_mode']")
    expect(safety).to_contain_text("Mode de sécurité")
    expect(safety).to_contain_text("oui")
    expect(safety).to_contain_text("non")
    expect(page.locator("#diff")).to_contain_text("Commandes › Jours repris")
    assert "/document" not in page.locator("#diff").inner_text()
    assert not UUID.search(page.locator("main").inner_text())
    web.shot_both_widths(page, "configuration-versions")

    page.locator("#versions tr[data-version='1']").get_by_role("button", name="Restaurer").click()
    page.locator("#restore-version").get_by_role("button", name="Restaurer").click()
    expect(page.locator("#versions tbody tr")).to_have_count(4)
    # Restoring is saving: a version with the safety mode off says so before, and can be left.
    page.locator("#versions tr[data-version='2']").get_by_role("button", name="Restaurer").click()
    restoring = page.locator("#restore-version")
    expect(restoring).to_contain_text("Mode de sécurité : Sans le mode de sécurité")
    restoring.get_by_role("button", name="Annuler").click()
    expect(restoring).to_be_hidden()
    row.get_by_role("button", name="Activer").click()
    expect(row.locator(".badge")).to_have_text("Active")

    with pipeline.client(licence.connector_key) as connector:
        synced = connector.post(
            "/v1/agent/sync", json={"pc_key": "PC-CFG-0001", "connector_id": CONNECTOR}
        )
        assert synced.status_code == 200, synced.text
        loaded = synced.json()["configuration"]
        assert (loaded["configuration_id"], loaded["version"]) == (config_id, 4)
        assert loaded["document"] == FIRST_DOCUMENT
        other = connector.post(
            "/v1/agent/sync", json={"pc_key": "PC-CFG-0001", "connector_id": "boutique-sud"}
        )
        assert other.json()["configuration"] is None  # its own or one for every connector
    web.shot_both_widths(page, "configurations")

    # A duplicate starts from the original, is a configuration of its own, and goes away alone.
    row.get_by_role("link", name="Dupliquer").click()
    expect(form.get_by_label("Nom", exact=True)).to_have_value("Sage vers PrestaShop (copie)")
    expect(form.get_by_label("Intervalle de synchronisation (minutes)")).to_have_value("30")
    form.get_by_role("button", name="Créer la configuration").click()
    rows = page.locator("tr[data-configuration]")
    expect(rows).to_have_count(2)
    copy = rows.filter(has_text="(copie)")
    expect(copy.locator(".badge")).to_have_count(0)  # activation stays the original's
    copy.get_by_role("button", name="Supprimer").click()
    page.locator("#delete-configuration").get_by_role("button", name="Supprimer").click()
    expect(rows).to_have_count(1)
    assert [c["configuration_id"] for c in _configurations(pipeline, licence.reader_token)] == [
        config_id
    ]


def test_a_viewer_reads_the_configurations_and_changes_nothing(
    pipeline: Pipeline, smtp_server: SmtpServer, page: Page
) -> None:
    licence = pipeline.create_licence("boutique en lecture")
    with pipeline.client(licence.reader_token) as reader:
        created = reader.post(
            "/v1/configurations",
            json={"name": "Lue", "document": {"erp": "ebp", "shop": "shopify"}},
        )
        assert created.status_code == 201, created.text
    viewer = person(pipeline, smtp_server, licence.licence_id, role="viewer")
    web.sign_in(page, pipeline.url, viewer.email, viewer.password)
    visit(page, "configurations")
    row = page.locator(f"tr[data-configuration='{created.json()['configuration_id']}']")
    expect(row).to_contain_text("Tous les connecteurs")
    expect(row).to_contain_text("un jeton de lecture")
    expect(page.locator("#role-note")).to_be_visible()
    for name in ("Modifier", "Dupliquer", "Supprimer", "Activer"):
        expect(row.get_by_role("button", name=name)).to_have_count(0)
        expect(row.get_by_role("link", name=name)).to_have_count(0)
    expect(page.get_by_role("link", name="Nouvelle configuration")).to_have_count(0)

    page.get_by_role("button", name="Switch to English").click()
    expect(row).to_contain_text("Every connector")
    expect(row).to_contain_text("a reader token")
    row.get_by_role("link", name="Versions").click()
    expect(page.locator("#versions tbody tr")).to_have_count(1)
    expect(page.locator("#versions tbody tr").get_by_role("button")).to_have_count(0)


def _configurations(pipeline: Pipeline, reader_token: str) -> list[dict[str, Any]]:
    with pipeline.client(reader_token) as reader:
        found: list[dict[str, Any]] = reader.get("/v1/configurations").json()
    return found
