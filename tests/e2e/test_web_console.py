"""The vendor's console (/console) in a real headless Chromium: an operator signs in as any
person does and lands in it; someone who is not an operator is told it is not for them. The
operator sees the fleet's errors ranked by licences affected, drills down to the licences and
the versions they run, finds a licence (a new one is never among the silent ones), suspends and
reactivates it, attaches an account to it, replays a rejected line and publishes a notification
a merchant then reads."""

from __future__ import annotations

import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from licences import Credentials
from tests.e2e.test_console_api import refused_by_an_older_gateway
from tests.support import browser as web
from tests.support.accounts import (
    Person,
    mails_to,
    new_email,
    operator,
    operator_person,
    person,
)
from tests.support.pipeline import Pipeline, wait_until
from tests.support.receivers import SmtpServer

pytestmark = pytest.mark.pipeline


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
    expect(page.locator("#licence-created")).to_contain_text(
        "Licence « Boutique ouverte en console » créée."
    )
    wait_until(lambda: len(mails_to(smtp_server, owner)) == 1)
    web.shot_both_widths(page, "console-licences")
    page.get_by_role("link", name="Ouvrir sa fiche").click()
    expect(page.locator("main h1")).to_have_text("Boutique ouverte en console")
    expect(page.locator("#licence-team")).to_contain_text(owner)
    expect(page.locator("#licence-audit tbody tr", has_text="Licence créée")).to_contain_text(
        operator.email
    )


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


def letters_only() -> str:
    """A word no fingerprint masks (digits would be a variable part): a group of its own."""
    return "".join(chr(ord("a") + int(c, 16)) for c in uuid.uuid4().hex[:10])


def error_line(connector: str, message: str, minutes_ago: int = 1) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "connector_id": connector,
        "occurred_at": (datetime.now(UTC) - timedelta(minutes=minutes_ago)).isoformat(),
        "operation": "stock.export",
        "status": "erreur",
        "message": message,
    }


def synced(pipeline: Pipeline, licence: Credentials, erp: str, shop: str) -> None:
    with pipeline.client(licence.connector_key) as connector:
        answer = connector.post(
            "/v1/agent/sync",
            json={"pc_key": f"PC-{licence.licence_id}", "connector_version": "4.2.1",
                  "erp_version": erp, "shop_version": shop},
        )  # fmt: skip
        assert answer.status_code in (200, 202), answer.text


def post(pipeline: Pipeline, licence: Credentials, lines: list[dict[str, Any]]) -> None:
    with pipeline.client(licence.connector_key) as connector:
        assert connector.post("/v1/events", json=lines).status_code == 202


def fleet_group(client: httpx.Client, template_word: str) -> dict[str, Any] | None:
    groups = client.get("/v1/admin/groups", params={"limit": 200}).json()["groups"]
    return next((g for g in groups if template_word in g["sample_message"]), None)


@pytest.fixture(scope="module")
def fleet(pipeline: Pipeline, smtp_server: SmtpServer) -> dict[str, Any]:
    """Three shops on two ERP versions hit by one problem, a fourth by another many times."""
    tag = letters_only()
    shops = [pipeline.create_licence(f"Boutique {tag} {n}") for n in range(4)]
    # Versions of this module's own: the suite's other licences report theirs to the same fleet.
    sage, ebp = f"Sage 100 v12 {tag}", f"EBP 2025 {tag}"
    for shop, erp in zip(shops, (sage, sage, ebp), strict=False):
        synced(pipeline, shop, erp, "PrestaShop 8.1")
    wide = f"La gestion commerciale refuse la connexion du module {tag}"
    deep = f"Article absent du catalogue {tag} sur la boutique"
    for n, shop in enumerate(shops[:3]):
        post(pipeline, shop, [error_line(f"poste-{n}", wide)])
    post(pipeline, shops[3], [error_line("poste-9", deep, m) for m in range(1, 6)])
    with operator(pipeline) as client:
        wait_until(lambda: (g := fleet_group(client, "refuse la connexion du module " + tag))
                   and g["licences_affected"] == 3)  # fmt: skip
        wait_until(lambda: fleet_group(client, "catalogue " + tag))
        groups = {
            "wide": fleet_group(client, "refuse la connexion du module " + tag),
            "deep": fleet_group(client, "catalogue " + tag),
        }
    merchant = person(pipeline, smtp_server, shops[0].licence_id)
    return {
        "tag": tag,
        "shops": shops,
        "groups": groups,
        "merchant": merchant,
        "sage": sage,
        "ebp": ebp,
    }


def go_to(page: Page, menu: str, route: str) -> None:
    page.locator("#top nav").get_by_role("link", name=menu).click()
    expect(page.locator(f"main[data-page='{route}']")).to_be_visible()


def test_an_operator_ranks_the_fleet_errors_and_finds_the_versions_involved(
    pipeline: Pipeline, smtp_server: SmtpServer, page: Page, fleet: dict[str, Any]
) -> None:
    operator_account = operator_person(pipeline, smtp_server)
    sign_in_to_console(page, pipeline.url, operator_account.email, operator_account.password)
    go_to(page, "Erreurs du parc", "groupes")
    wide, deep = fleet["groups"]["wide"], fleet["groups"]["deep"]
    rows = page.locator("#fleet-groups tbody tr")
    wide_row = page.locator(f"#fleet-groups tr[data-fingerprint='{wide['fingerprint']}']")
    expect(wide_row.locator(".licences-affected")).to_have_text("3")
    fingerprints = rows.evaluate_all("rows => rows.map(r => r.dataset.fingerprint)")
    assert fingerprints.index(wide["fingerprint"]) < fingerprints.index(deep["fingerprint"]), (
        "3 licences with one event each rank above 1 licence with five"
    )
    web.shot_both_widths(page, "console-groups")
    page.get_by_role("link", name="7 derniers jours").click()
    expect(page.locator("nav.period-picker [aria-current='true']")).to_have_text("7 derniers jours")
    expect(wide_row.locator(".licences-affected")).to_have_text("3")

    wide_row.get_by_role("link").first.click()
    expect(page.locator("#group-detail")).to_be_visible()
    expect(page.locator("#group-licences")).to_have_text("3")
    origins = {
        "cms": "CMS (boutique)",
        "erp": "ERP (gestion commerciale)",
        "connector": "Connecteur",
    }
    expect(page.locator("#group-origin")).to_have_text(origins[wide["origin"]])
    sage = page.locator(f"#versions-erp tr[data-version='{fleet['sage']}']")
    expect(sage).to_contain_text("2")
    expect(sage).to_contain_text("2 sur 2")
    expect(page.locator(f"#versions-erp tr[data-version='{fleet['ebp']}']")).to_contain_text(
        "1 sur 1"
    )
    expect(page.locator("#versions-shop tr[data-version='PrestaShop 8.1']")).to_contain_text("3")
    affected = page.locator("#group-licences-table tbody tr")
    expect(affected).to_have_count(3)
    for shop in fleet["shops"][:3]:
        expect(
            page.locator(f"#group-licences-table tr[data-licence-id='{shop.licence_id}']")
        ).to_contain_text(fleet["sage"] if shop != fleet["shops"][2] else fleet["ebp"])
    assert fleet["shops"][0].licence_id not in page.locator("main").inner_text(), "no UUID shown"
    web.shot_both_widths(page, "console-group")

    page.locator(
        f"#group-licences-table tr[data-licence-id='{fleet['shops'][0].licence_id}'] a"
    ).click()
    expect(page.locator("main[data-page='licences'] h1")).to_have_text(f"Boutique {fleet['tag']} 0")


def test_an_operator_finds_a_licence_suspends_it_and_attaches_an_account(
    pipeline: Pipeline, smtp_server: SmtpServer, page: Page, fleet: dict[str, Any]
) -> None:
    operator_account = operator_person(pipeline, smtp_server)
    sign_in_to_console(page, pipeline.url, operator_account.email, operator_account.password)
    shop = fleet["shops"][1]
    name = f"Boutique {fleet['tag']} 1"
    page.get_by_label("Rechercher une boutique").fill(f"{fleet['tag']} 1")
    # Created minutes ago: not silent yet, whatever it sent.
    page.get_by_label("Silencieuses").select_option(label="Sans synchronisation depuis 6 h")
    page.get_by_role("button", name="Rechercher").click()
    expect(page.locator("main .empty")).to_have_text(
        "Aucune licence active sans synchronisation sur cette durée."
    )
    page.get_by_label("Silencieuses").select_option(label="Toutes")
    page.get_by_role("button", name="Rechercher").click()
    found = page.locator("#licences tbody tr")
    expect(found).to_have_count(1)
    expect(found).to_contain_text(fleet["sage"])
    expect(found).to_contain_text("Active")
    web.shot_both_widths(page, "console-licences-list")
    found.get_by_role("link", name=name).click()
    expect(page.locator("main h1")).to_have_text(name)

    page.locator("#suspend").click()
    page.locator("#suspend-dialog").get_by_role("button", name="Suspendre la licence").click()
    expect(page.locator("#licence-status-now")).to_have_text("Suspendue")
    with pipeline.client(shop.reader_token) as reader:
        refused = reader.get("/v1/dashboard")
        assert refused.status_code == 403
        assert refused.json()["detail"]["code"] == "licence_inactive"
    page.locator("#reactivate").click()
    expect(page.locator("#licence-status-now")).to_have_text("Active")
    with pipeline.client(shop.reader_token) as reader:
        assert reader.get("/v1/dashboard").status_code == 200

    email = new_email("attached")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Nom (facultatif)").fill("Julie Martin")
    page.locator("#attach-role").select_option("member")
    page.get_by_role("button", name="Inviter").click()
    expect(page.locator("#licence-team .team-list")).to_contain_text(f"Julie Martin ({email})")
    wait_until(lambda: len(mails_to(smtp_server, email)) == 1)

    audit = page.locator("#licence-audit tbody tr")
    expect(audit.filter(has_text="Statut changé : Suspendue")).to_contain_text(
        operator_account.email
    )
    expect(audit.filter(has_text="Statut changé : Active")).to_contain_text(operator_account.email)
    expect(audit.filter(has_text="Compte rattaché : membre")).to_contain_text(
        operator_account.email
    )
    web.shot_both_widths(page, "console-licence")


def test_an_operator_replays_a_line_and_publishes_a_notification_a_merchant_reads(
    pipeline: Pipeline, smtp_server: SmtpServer, browser: Browser, page: Page,
    fleet: dict[str, Any],
) -> None:  # fmt: skip
    shop = fleet["shops"][0]
    name = f"Boutique {fleet['tag']} 0"
    message = f"Stock exporté {fleet['tag']}"
    # Playwright's loop runs in this thread: the producer gets one of its own.
    with ThreadPoolExecutor(1) as aside:
        aside.submit(refused_by_an_older_gateway, pipeline, shop.licence_id, message).result()
    with operator(pipeline) as client:
        wait_until(
            lambda: (
                client.get("/v1/admin/dead-letters", params={"licence_id": shop.licence_id}).json()
                or None
            )
        )
    operator_account = operator_person(pipeline, smtp_server)
    sign_in_to_console(page, pipeline.url, operator_account.email, operator_account.password)
    go_to(page, "Lignes rejetées", "lettres-mortes")
    row = page.locator("#dead-letters tbody tr", has_text=name)
    expect(row).to_contain_text("duration_ms: Extra inputs are not permitted")
    web.shot_both_widths(page, "console-dead-letters")
    row.get_by_role("link").first.click()
    expect(page.locator("#letter-line")).to_have_text("3")
    expect(page.locator("#letter-raw")).to_contain_text(message)
    web.shot_both_widths(page, "console-dead-letter")
    page.get_by_role("button", name="Rejouer la ligne").click()
    expect(page.locator("#letter-status")).to_contain_text("Rejouée")
    with pipeline.client(shop.reader_token) as reader:
        wait_until(lambda: reader.get("/v1/reports", params={"q": fleet["tag"]}).json()["items"])

    go_to(page, "Notifications", "notifications")
    title = f"Maintenance {fleet['tag']}"
    page.get_by_label("Les licences choisies").check()
    page.get_by_label("Chercher une licence").fill(f"{fleet['tag']} 0")
    page.locator("#audience-find").click()
    page.get_by_role("button", name=f"Ajouter « {name} »").click()
    expect(page.locator("#licences-chosen")).to_contain_text(name)
    page.locator("#title-fr").fill(title)
    page.locator("#body-fr").fill("Le service sera coupé dimanche de 2 h à 3 h.")
    page.locator("#title-en").fill(f"Maintenance window {fleet['tag']}")
    page.locator("#body-en").fill("The service will be down on Sunday from 2 to 3 am.")
    web.shot_both_widths(page, "console-notifications-form")
    page.get_by_role("button", name="Publier").click()
    published = page.locator("#published tbody tr", has_text=title)
    expect(published).to_contain_text(name)
    expect(published).to_contain_text(operator_account.email)
    web.shot_both_widths(page, "console-notifications")
    go_to(page, "Journal", "journal")
    expect(
        page.locator("#journal tbody tr", has_text=f"Notification publiée : {title}")
    ).to_contain_text(operator_account.email)
    replays = page.locator("#journal tbody tr", has_text="Ligne rejetée rejouée")
    expect(replays.filter(has_text=name)).to_have_count(1)
    web.shot_both_widths(page, "console-journal")

    merchant: Person = fleet["merchant"]
    with web.opened(browser) as shop_page:
        web.sign_in(shop_page, pipeline.url, merchant.email, merchant.password)
        shop_page.locator(".notification-toggle").click()
        mine = shop_page.locator("#notification-panel li", has_text=title)
        expect(mine).to_contain_text("Le service sera coupé dimanche")
        shop_page.locator(".notification-toggle").click()  # closed, then read in English
        expect(shop_page.locator("#notification-panel")).to_have_count(0)
        shop_page.get_by_role("button", name="Switch to English").click()
        shop_page.locator(".notification-toggle").click()
        english = shop_page.locator("#notification-panel li", has_text="Maintenance window")
        expect(english).to_contain_text("down on Sunday")


WORDS = Path(__file__).parents[2] / "web" / "static" / "js" / "words" / "console.js"
ENTRY = re.compile(r'^    (\w+): "(.*)",$', re.M)


def french_only() -> set[str]:
    """The console's French texts that English says otherwise (placeholders cut off)."""
    text = WORDS.read_text(encoding="utf-8")
    fr = dict(ENTRY.findall(text[: text.index("\n  en: {")]))
    en = dict(ENTRY.findall(text[text.index("\n  en: {") :]))
    parts = {
        part.strip()
        for key, value in fr.items()
        if value != en[key]
        for part in re.split(r"\{\w+\}", value)
    }
    return {part for part in parts if len(part) >= 8}


def test_the_console_in_english(
    pipeline: Pipeline, smtp_server: SmtpServer, page: Page, fleet: dict[str, Any]
) -> None:
    operator_account = operator_person(pipeline, smtp_server)
    sign_in_to_console(page, pipeline.url, operator_account.email, operator_account.password)
    page.get_by_role("button", name="Switch to English").click()
    expect(page.locator("#top nav")).to_contain_text("Fleet errors")
    wide = fleet["groups"]["wide"]["fingerprint"]
    routes = {
        "licences": "Licences",
        f"licences?licence={fleet['shops'][0].licence_id}": f"Boutique {fleet['tag']} 0",
        "groupes": "Fleet errors",
        f"groupes?groupe={wide}": "Fleet problem",
        "lettres-mortes": "Rejected lines",
        "notifications": "Notifications",
        "journal": "Journal",
    }
    french = french_only()
    for route, heading in routes.items():
        web.visit(page, route)
        expect(page.locator("main h1")).to_have_text(heading)
        shown = page.locator("main").inner_text()
        assert not [words for words in french if words in shown], route
    web.shot_both_widths(page, "console-journal-en")
