"""The merchant's web interface in a real headless Chromium (Debian's package) driven by
Playwright, against the suite's running pipeline: what the pages show is what the API answers,
and what a click does is what the API then holds. The merchant signs in with an account that
owns the licence (tests/support/accounts.person); the accounts pages themselves are
test_web_accounts.py's."""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import orjson
import pytest
from playwright.sync_api import Browser, Page, expect

from licences import Credentials
from tests.support import browser as web
from tests.support.accounts import Person, person
from tests.support.browser import LAPTOP, PHONE, shot, visit
from tests.support.pipeline import Pipeline, wait_until
from tests.support.readers import csv_export
from tests.support.receivers import SmtpServer

pytestmark = pytest.mark.pipeline

LEVELS = ("success", "alert", "error")


@dataclass
class Shop:
    """A licence of its own, so that other tests' events never change its counts."""

    pipeline: Pipeline
    licence: Credentials
    reader: httpx.Client
    connector: httpx.Client
    posted: Counter[str]
    reference: str  # of an error line whose suggested action is `reimport_order`
    owner: Person  # signs in to the web interface

    def get(self, path: str, **params: Any) -> Any:
        response = self.reader.get(path, params=params)
        assert response.status_code == 200, response.text
        return response.json()


def _lines(corpus_path: Path, reference: str) -> list[dict[str, Any]]:
    """The labelled corpus's lines over two connectors, plus one partly imported order."""
    now = datetime.now(UTC)
    lines = []
    for index, raw in enumerate(corpus_path.read_bytes().splitlines()):
        labelled = orjson.loads(raw)
        lines.append(
            {
                "event_id": str(uuid.uuid4()),
                "connector_id": ("web-a", "web-b")[index % 2],
                "occurred_at": (now - timedelta(minutes=5 + 37 * index)).isoformat(),
                "operation": labelled["operation"],
                "message": labelled["message"],
                "status": labelled["status"],
                "code": labelled["code"],
                "reference": f"WEB-{index:04d}",
                "expected": labelled["expected"]["level"],
            }
        )
    lines.append(
        {
            "event_id": str(uuid.uuid4()),
            "connector_id": "web-a",
            "occurred_at": now.isoformat(),
            "operation": "order.import",
            "message": f"La commande {reference} a été importée partiellement, relancez l'import",
            "status": "error",
            "code": None,
            "reference": reference,
            "duration_ms": 1500,
            "expected": "error",
        }
    )
    return lines


@pytest.fixture(scope="module")
def shop(pipeline: Pipeline, smtp_server: SmtpServer, corpus_path: Path) -> Iterator[Shop]:
    licence = pipeline.create_licence(f"web shop {uuid.uuid4().hex[:6]}")
    owner = person(pipeline, smtp_server, licence.licence_id)
    reference = f"CMD-{uuid.uuid4().hex[:8].upper()}"
    lines = _lines(corpus_path, reference)
    with (
        pipeline.client(licence.reader_token) as reader,
        pipeline.client(licence.connector_key) as connector,
    ):
        body = [
            {k: v for k, v in line.items() if v is not None and k != "expected"} for line in lines
        ]
        posted = connector.post("/v1/events", json=body)
        assert posted.json()["accepted"] == len(lines), posted.text
        created = Shop(
            pipeline,
            licence,
            reader,
            connector,
            Counter(line["expected"] for line in lines),
            reference,
            owner,
        )
        wait_until(
            lambda: (
                sum(c["count"] for c in created.get("/v1/dashboard")["levels"].values())
                == len(lines)
            )
        )
        yield created


def _zone_where_now_is_noon_or_midnight() -> str:
    """A time zone whose hour is now a multiple of 12: the chart then labels its newest hour, at
    its right edge, the layout's worst case, whatever the hour the suite runs at."""
    ahead = (12 - datetime.now(UTC).hour % 12) % 12
    return f"Etc/GMT-{ahead}" if ahead else "UTC"  # Etc/GMT-N is N hours ahead of UTC


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    with web.opened(browser, timezone_id=_zone_where_now_is_noon_or_midnight()) as opened:
        yield opened


def sign_in(page: Page, shop: Shop) -> None:
    web.sign_in(page, shop.pipeline.url, shop.owner.email, shop.owner.password)


def shown_count(page: Page, selector: str) -> int:
    return int(re.sub(r"\D", "", page.locator(selector).inner_text()))


def test_sign_in_then_the_tiles_are_the_apis_counts_overall_and_per_connector(
    page: Page, shop: Shop
) -> None:
    sign_in(page, shop)
    board = shop.get("/v1/dashboard")
    assert {level: board["levels"][level]["count"] for level in LEVELS} == dict(shop.posted)
    for level in LEVELS:
        shown = shown_count(page, f"[data-scope='all'] .tile[data-level='{level}'] .tile-count")
        assert shown == board["levels"][level]["count"]
    assert {c["connector_id"] for c in board["connectors"]} == {"web-a", "web-b"}
    for connector in board["connectors"]:
        for level in LEVELS:
            selector = f"[data-scope='{connector['connector_id']}'] .tile[data-level='{level}']"
            assert (
                shown_count(page, f"{selector} .tile-count")
                == (connector["levels"][level]["count"])
            )
    expect(page.locator(".chart")).to_have_attribute(
        "aria-label", re.compile(f"{shop.posted['error']} erreurs")
    )
    shot(page, "tableau-de-bord")

    token = web.session_token(page)
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_label("E-mail")).to_be_visible()
    assert page.evaluate("sessionStorage.length") == 0
    with shop.pipeline.client(token) as ended:
        assert ended.get("/v1/auth/me").status_code == 401


def test_a_wrong_password_or_an_inactive_licence_is_refused_with_the_apis_words(
    page: Page, shop: Shop, smtp_server: SmtpServer
) -> None:
    pipeline = shop.pipeline
    page.goto(f"{pipeline.url}/#/rapports")
    page.get_by_label("E-mail").fill(shop.owner.email)  # no session yet: sign-in first
    page.get_by_label("Mot de passe", exact=True).fill("pas le bon mot de passe")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.locator("#signin-message")).to_have_text("E-mail ou mot de passe incorrect.")
    assert page.evaluate("sessionStorage.getItem('ero.token')") is None
    shot(page, "connexion")

    expired = pipeline.create_licence(f"expired {uuid.uuid4().hex[:6]}")
    done = pipeline.ero("licence", "set-status", expired.licence_id, "expired")
    assert done.returncode == 0, done.stderr
    holder = person(pipeline, smtp_server, expired.licence_id)
    web.sign_in(page, pipeline.url, holder.email, holder.password, lands="sans-licence")
    expect(page.get_by_role("heading", level=1)).to_have_text("Vous ne possédez pas de licence")
    expect(page.locator("#top")).to_be_hidden()


def test_the_errors_tile_opens_the_reports_of_errors_only(page: Page, shop: Shop) -> None:
    sign_in(page, shop)
    page.locator("[data-scope='all'] .tile[data-level='error']").click()
    expect(page.locator("main[data-page='rapports']")).to_be_visible()
    assert "level=error" in page.evaluate("location.hash")
    rows = page.locator("#reports tr.report")
    expect(rows).to_have_count(shop.posted["error"])
    assert set(rows.evaluate_all("rows => rows.map(r => r.dataset.level)")) == {"error"}
    expect(page.get_by_role("checkbox", name="Erreur")).to_be_checked()
    shot(page, "rapports")

    visit(page, "tableau-de-bord")
    page.locator("[data-scope='web-b'] .tile[data-level='error']").click()
    expect(page.locator("main[data-page='rapports']")).to_be_visible()
    web_b = shop.get("/v1/reports", level="error", connector_id="web-b")["items"]
    expect(rows).to_have_count(len(web_b))
    cells = rows.locator("td:nth-child(3)").all_inner_texts()
    assert set(cells) == {"web-b"}


def test_searching_finds_a_reference_and_words_of_a_message(page: Page, shop: Shop) -> None:
    sign_in(page, shop)
    visit(page, "rapports")
    page.get_by_label("Référence", exact=True).fill(shop.reference)
    page.get_by_role("button", name="Rechercher").click()
    rows = page.locator("#reports tr.report")
    expect(rows).to_have_count(1)
    expect(rows.locator(".reference")).to_have_text(shop.reference)

    page.get_by_label("Référence", exact=True).fill("")
    page.get_by_label("Rechercher dans les messages").fill("PARTIELLEMENT relancez")
    page.get_by_role("button", name="Rechercher").click()
    expect(page.locator("main[data-page='rapports']")).to_be_visible()
    found = shop.get("/v1/reports", q="PARTIELLEMENT relancez")["items"]
    assert len(found) >= 2  # the corpus's own partly imported order, and ours
    expect(rows).to_have_count(len(found))
    assert shop.reference in rows.locator(".reference").all_inner_texts()


def test_pages_follow_the_apis_cursor_forward_and_back(page: Page, shop: Shop) -> None:
    sign_in(page, shop)
    visit(page, "rapports")
    page.get_by_label("Lignes par page").select_option("25")
    page.get_by_role("button", name="Rechercher").click()
    rows = page.locator("#reports tr.report")
    expect(rows).to_have_count(25)
    shown = "rows => rows.map(row => row.dataset.eventId)"
    first = shop.get("/v1/reports", limit=25)
    assert rows.evaluate_all(shown) == [item["event_id"] for item in first["items"]]

    page.get_by_role("button", name="Page suivante").click()
    second = shop.get("/v1/reports", limit=25, cursor=first["next_cursor"])
    assert second["next_cursor"] is None
    expect(rows).to_have_count(len(second["items"]))
    assert rows.evaluate_all(shown) == [item["event_id"] for item in second["items"]]
    expect(page.get_by_role("button", name="Page suivante")).to_have_count(0)

    page.get_by_role("button", name="Page précédente").click()
    expect(rows.first).to_have_attribute("data-event-id", first["items"][0]["event_id"])
    expect(rows).to_have_count(25)


def test_an_action_queued_from_a_report_line_is_pending(page: Page, shop: Shop) -> None:
    sign_in(page, shop)
    visit(page, f"rapports?reference={shop.reference}")
    line = page.locator("#reports tr.report").first
    event_id = line.get_attribute("data-event-id")
    detail = page.locator(f"tr.detail[data-event-id='{event_id}']")
    expect(detail).to_contain_text("Connecteur")  # the origin
    expect(detail.locator("a", has_text="Base de connaissances")).to_have_attribute(
        "href", re.compile("reimport")
    )
    detail.get_by_role("button", name=re.compile("Réimporter une commande")).click()
    expect(detail.locator(".note")).to_contain_text("mise en file")

    page.get_by_role("link", name="Actions").click()
    expect(page.locator("main[data-page='actions']")).to_be_visible()
    pending = page.locator("#pending-actions tr", has_text=shop.reference)
    expect(pending).to_contain_text("Réimporter une commande")
    expect(pending).to_contain_text("en attente")
    queued = shop.get("/v1/actions", status="pending")
    assert [(a["action"], a["order_reference"], a["source_event_id"]) for a in queued] == [
        ("reimport_order", shop.reference, event_id)
    ]
    shot(page, "actions")

    pending.get_by_role("button", name="Annuler l'action").click()
    expect(page.locator("#done-actions tr", has_text=shop.reference)).to_contain_text("annulée")
    assert shop.get("/v1/actions", status="pending") == []


def test_error_groups_are_the_apis(page: Page, shop: Shop) -> None:
    sign_in(page, shop)
    page.get_by_role("link", name="Groupes d'erreurs").click()
    expect(page.locator("main[data-page='groupes']")).to_be_visible()
    groups = shop.get("/v1/groups")["groups"]
    rows = page.locator("#groups tbody tr")
    expect(rows).to_have_count(len(groups))
    assert rows.evaluate_all("rows => rows.map(r => r.dataset.fingerprint)") == [
        g["fingerprint"] for g in groups
    ]
    shot(page, "groupes")


def test_configurations_list_versions_and_diff(page: Page, shop: Shop) -> None:
    document = {"erp": "sage100", "shop": "prestashop", "schedule_minutes": 15}
    created = shop.reader.post("/v1/configurations", json={"name": "Web", "document": document})
    assert created.status_code == 201, created.text
    config_id = created.json()["configuration_id"]
    changed = {**document, "schedule_minutes": 30}
    updated = shop.reader.put(
        f"/v1/configurations/{config_id}", json={"name": "Web", "document": changed}
    )
    assert updated.status_code == 200, updated.text

    sign_in(page, shop)
    page.get_by_role("link", name="Configurations").click()
    row = page.locator(f"tr[data-configuration='{config_id}']")
    expect(row).to_contain_text("Web")
    row.get_by_role("button", name="Activer").click()
    expect(row.locator(".badge")).to_have_text("Active")
    assert shop.get(f"/v1/configurations/{config_id}")["active"] is True
    row.get_by_role("link", name="Versions").click()
    expect(page.locator("#versions tbody tr")).to_have_count(2)
    change = page.locator("#diff tbody tr")
    expect(change).to_have_count(1)
    expect(change).to_contain_text("Intervalle de synchronisation (minutes)")
    expect(change).to_contain_text("30")
    shot(page, "configurations")


def test_pc_key_reset_asks_for_confirmation(page: Page, shop: Shop) -> None:
    synced = shop.connector.post("/v1/agent/sync", json={"pc_key": "PC-WEB-0001"})
    assert synced.status_code == 200, synced.text
    sign_in(page, shop)
    # The dashboard's gear holds the PC key, as the product has it; the menu does not.
    expect(page.locator("#menu").get_by_role("link", name="Clé PC")).to_have_count(0)
    page.get_by_role("button", name="Autres services").click()
    page.get_by_role("link", name="Réinitialiser la clé PC").click()
    expect(page.locator("main[data-page='cle-pc']")).to_be_visible()
    state = page.locator("#pc-key-state")
    expect(state).to_have_attribute("data-bound", "true")

    page.get_by_role("button", name="Réinitialiser la clé PC").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Annuler").click()
    expect(dialog).to_be_hidden()
    assert shop.get("/v1/pc-key")["bound"] is True

    page.get_by_role("button", name="Réinitialiser la clé PC").click()
    shot(page, "cle-pc")
    dialog.get_by_role("button", name="Oui, réinitialiser").click()
    expect(state).to_have_attribute("data-bound", "false")
    assert shop.get("/v1/pc-key")["bound"] is False


def test_the_ticket_is_prefilled_and_sent(page: Page, shop: Shop) -> None:
    account = {"email": "boutique@example.fr", "shop_url": "https://boutique.example.fr"}
    assert shop.reader.put("/v1/account", json=account).status_code == 200
    sign_in(page, shop)
    page.get_by_role("link", name="Ouvrir un ticket").first.click()
    expect(page.locator("main[data-page='assistance']")).to_be_visible()
    expect(page.get_by_label("E-mail")).to_have_value(account["email"])
    expect(page.get_by_label("Adresse de la boutique")).to_have_value(account["shop_url"])
    expect(page.get_by_label("Message")).to_contain_text("importée partiellement")
    shot(page, "ticket")
    page.get_by_role("button", name="Envoyer le ticket").click()
    expect(page.locator("main h1")).to_contain_text("ERO-")
    tickets = shop.get("/v1/tickets")["items"]
    assert [t["email"] for t in tickets] == [account["email"]]


def test_notifications_show_an_unread_badge_until_read(page: Page, shop: Shop) -> None:
    operator_token = (shop.pipeline.data_dir / "operator.token").read_text().strip()
    with shop.pipeline.client(operator_token) as operator:
        published = operator.post(
            "/v1/admin/notifications",
            json={
                "title": "Maintenance dimanche",
                "body": "Le service sera coupé de 2 h à 3 h.",
                "licence_ids": [shop.licence.licence_id],
            },
        )
        assert published.status_code == 201, published.text
    unread = shop.get("/v1/notifications")["unread"]  # other tests may publish to every licence
    sign_in(page, shop)
    toggle = page.locator(".notification-toggle")
    expect(toggle.locator(".count")).to_have_text(str(unread))
    toggle.click()
    mine = page.locator("#notification-panel li", has_text="Maintenance dimanche")
    expect(mine).to_contain_text("Le service sera coupé")
    shot(page, "notifications")
    mine.get_by_role("button", name="Marquer comme lue").click()
    expect(mine.get_by_role("button")).to_have_count(0)
    if unread > 1:
        expect(toggle.locator(".count")).to_have_text(str(unread - 1))
    else:
        expect(toggle.locator(".count")).to_have_count(0)
    assert shop.get("/v1/notifications")["unread"] == unread - 1


def test_english_on_request_and_usable_at_phone_width(page: Page, shop: Shop) -> None:
    sign_in(page, shop)
    page.get_by_role("button", name="Switch to English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    assert page.evaluate("document.documentElement.lang") == "en"
    expect(page.locator("[data-scope='all'] .tile[data-level='error']")).to_contain_text("Errors")
    visit(page, f"rapports?reference={shop.reference}")
    expect(page.locator("tr.detail .hint")).to_have_text(re.compile("only partly imported"))
    page.get_by_role("button", name="Passer en français").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rapports")

    page.set_viewport_size(PHONE)
    for route in ("tableau-de-bord", "rapports"):
        visit(page, route)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        shot(page, f"{route}-telephone")
    # The chart's hour labels (its newest hour included: see the page's time zone) stay inside
    # it, side by side.
    visit(page, "tableau-de-bord")
    left, right = page.locator(".chart").evaluate(
        "e => [e.getBoundingClientRect().left, e.getBoundingClientRect().right]"
    )
    labels = page.locator(".chart .ticks span").evaluate_all(
        "spans => spans.map(s => [s.getBoundingClientRect().left, s.getBoundingClientRect().right])"
    )
    assert len(labels) >= 3
    assert all(left <= start and end <= right for start, end in labels), (left, right, labels)
    assert all(a[1] <= b[0] for a, b in pairwise(labels)), labels


def test_the_export_is_the_apis_file_for_the_filters_shown(page: Page, shop: Shop) -> None:
    sign_in(page, shop)
    visit(page, "rapports?level=alert")
    expect(page.get_by_label("Période")).to_have_value("48h")  # the default period
    with page.expect_download() as download:
        page.get_by_role("button", name="CSV", exact=True).click()
    about, (columns, *cells) = csv_export(Path(download.value.path()).read_bytes())
    filters = about["filters"]
    assert (about["licence_id"], filters["level"], sorted(filters)) == (
        shop.licence.licence_id,
        ["alert"],
        ["level", "since"],
    )
    since = datetime.fromisoformat(filters["since"])
    assert abs(datetime.now(UTC) - timedelta(hours=48) - since) < timedelta(minutes=5)
    rows = [dict(zip(columns, row, strict=True)) for row in cells]
    assert len(rows) == shop.posted["alert"]
    assert {row["level"] for row in rows} == {"alert"}

    # Excel (FR): French column names and values, times in the browser's time zone.
    with page.expect_download() as download:
        page.get_by_role("button", name="CSV pour Excel").click()
    _, (columns, *cells) = csv_export(Path(download.value.path()).read_bytes(), ";")
    assert columns[:5] == ["Date", "Reçu le", "Identifiant", "Connecteur", "Niveau"]
    french = [dict(zip(columns, row, strict=True)) for row in cells]
    zone = ZoneInfo(page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone"))
    by_id = {row["event_id"]: row for row in rows}
    for row in french:
        assert row["Niveau"] == "Alerte"
        utc = datetime.fromisoformat(by_id[row["Identifiant"]]["occurred_at"])
        assert row["Date"] == utc.astimezone(zone).strftime("%d/%m/%Y %H:%M:%S")


def test_the_page_revalidates_and_its_assets_are_cached_for_good(pipeline: Pipeline) -> None:
    page = httpx.get(f"{pipeline.url}/")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-cache"
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    script = re.search(r'src="(/assets/[0-9a-f]+/js/app\.js)"', page.text)
    assert script, page.text
    asset = httpx.get(f"{pipeline.url}{script[1]}")
    assert asset.status_code == 200
    assert "immutable" in asset.headers["Cache-Control"]
    assert asset.headers["Content-Type"].startswith("text/javascript")
    assert asset.headers["Content-Encoding"] == "gzip"
    assert "Content-Encoding" not in httpx.get(f"{pipeline.url}/healthz").headers
    stale = httpx.get(f"{pipeline.url}/assets/0000000000000000/js/app.js")
    assert stale.status_code == 404


# WCAG's contrast ratio of an element's text against the first opaque background behind it.
CONTRAST = """elements => elements.map(element => {
  const rgb = color => color.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const channel = v => (v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  const luminance = c => 0.2126 * channel(c[0]) + 0.7152 * channel(c[1]) + 0.0722 * channel(c[2]);
  let behind = element;
  while (getComputedStyle(behind).backgroundColor === "rgba(0, 0, 0, 0)" && behind.parentElement) {
    behind = behind.parentElement;
  }
  const [a, b] = [getComputedStyle(element).color, getComputedStyle(behind).backgroundColor]
    .map(c => luminance(rgb(c)));
  return [element.className || element.tagName, (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)];
})"""


def test_keyboard_alone_signs_in_and_opens_the_errors_and_text_is_readable(
    page: Page, shop: Shop
) -> None:
    page.goto(f"{shop.pipeline.url}/")
    expect(page.get_by_label("E-mail")).to_be_focused()
    page.keyboard.type(shop.owner.email)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Mot de passe", exact=True)).to_be_focused()
    page.keyboard.type(shop.owner.password)
    page.keyboard.press("Enter")
    expect(page.locator("main[data-page='tableau-de-bord']")).to_be_visible()

    errors_tile = "[data-scope='all'] .tile[data-level='error']"
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate(f"document.activeElement.matches({errors_tile!r})"):
            break
    else:
        pytest.fail("the Erreurs tile cannot be reached with Tab")
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    page.keyboard.press("Enter")
    expect(page.locator("main[data-page='rapports']")).to_be_visible()
    expect(page.locator("#reports tr.report")).to_have_count(shop.posted["error"])

    texts = page.locator(
        ".top a, .top button, .badge, button, .muted, .hint, td, a:not(.tile), .tile-label"
    )
    ratios = texts.evaluate_all(CONTRAST)
    visit(page, "tableau-de-bord")
    ratios += page.locator(".tile-label, .tile-count, .muted, a").evaluate_all(CONTRAST)
    too_faint = [(name, round(ratio, 2)) for name, ratio in ratios if ratio < 4.5]
    assert not too_faint, f"below WCAG AA (4.5:1): {too_faint}"


def test_the_api_docs_render_from_our_own_assets_under_their_policy(
    page: Page, pipeline: Pipeline
) -> None:
    refused: list[str] = []
    elsewhere: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)
    page.on(
        "request",
        lambda r: elsewhere.append(r.url) if not r.url.startswith(pipeline.url) else None,
    )
    page.goto(f"{pipeline.url}/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("ERO")
    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    assert refused == []
    assert elsewhere == []


MENU = [
    "Tableau de bord",
    "Tendances",
    "Rapports",
    "Synchronisations",
    "Groupes d'erreurs",
    "Configurations",
    "Actions",
    "Assistance",
    "Notifications",
    "Surveillance",
    "Mon compte",
    "Équipe",
    "Clés et jetons",
]


def test_the_menu_is_the_products_and_every_page_opens_at_its_top_without_old_messages(
    page: Page, shop: Shop
) -> None:
    sign_in(page, shop)
    assert page.evaluate("window.scrollY") == 0
    menu = page.locator("#menu")
    entries = menu.locator("a").evaluate_all("links => links.map(a => a.firstChild.textContent)")
    assert entries == MENU
    expect(menu.locator(".group-label")).to_have_text("Compte")
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert icon
    served = httpx.get(f"{shop.pipeline.url}{icon}")
    assert (served.status_code, served.headers["Content-Type"]) == (200, "image/svg+xml")

    # A message said on one page is gone on the next; the next opens at its top.
    visit(page, "rapports")
    page.get_by_role("button", name=f"Lancer : Réimporter une commande ({shop.reference})").click()
    expect(page.locator("#status")).to_contain_text("mise en file")
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    assert page.evaluate("window.scrollY") > 0
    menu.get_by_role("link", name="Groupes d'erreurs").click()
    expect(page.locator("main[data-page='groupes']")).to_be_visible()
    expect(page.locator("#status")).to_have_text("")
    assert page.evaluate("window.scrollY") == 0
    for action in shop.get("/v1/actions", status="pending"):
        cancelled = shop.reader.post(f"/v1/actions/{action['action_id']}/cancel")
        assert cancelled.status_code == 200, cancelled.text

    # On a phone the menu waits behind its button, and a choice closes it.
    page.set_viewport_size(PHONE)
    expect(menu.get_by_role("link", name="Rapports")).to_be_hidden()
    page.get_by_role("button", name="Menu").click()
    menu.get_by_role("link", name="Rapports").click()
    expect(page.locator("main[data-page='rapports']")).to_be_visible()
    expect(menu.get_by_role("link", name="Rapports")).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_the_dashboards_period_and_its_problems_errors_first_with_their_action(
    page: Page, shop: Shop
) -> None:
    sign_in(page, shop)
    page.get_by_label("Période", exact=True).select_option("7d")
    expect(page.locator("main[data-page='tableau-de-bord']")).to_be_visible()
    assert "window=7d" in page.evaluate("location.hash")
    board = shop.get("/v1/dashboard", window="7d")
    for level in LEVELS:
        shown = shown_count(page, f"[data-scope='all'] .tile[data-level='{level}'] .tile-count")
        assert shown == board["levels"][level]["count"]

    problems = page.locator("#top-groups > li")
    levels = problems.evaluate_all("cards => cards.map(c => c.dataset.level)")
    assert levels == sorted(levels, key=lambda level: level != "error"), levels
    assert sorted(levels) == sorted(g["level"] for g in board["top_error_groups"])
    # One that needs no order reference (a group is many orders: those ask for one).
    control = page.locator("#top-groups .action-control:not(:has(input))").first
    action = control.locator("button.queue").get_attribute("data-action")
    assert action
    control.locator("button.queue").click()
    expect(control.locator(".note")).to_contain_text("mise en file")
    queued = [a for a in shop.get("/v1/actions", status="pending") if a["action"] == action]
    assert len(queued) == 1, queued
    cancelled = shop.reader.post(f"/v1/actions/{queued[0]['action_id']}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    shot(page, "tableau-de-bord-7-jours")


def test_trends_per_level_and_connector_over_7_and_30_days(page: Page, shop: Shop) -> None:
    sign_in(page, shop)
    page.get_by_role("link", name="Tendances sur 7 et 30 jours").click()
    expect(page.locator("main[data-page='tendances']")).to_be_visible()
    week = shop.get("/v1/dashboard", window="7d")
    for connector in week["connectors"]:
        levels = {level: connector["levels"][level]["count"] for level in LEVELS}
        row = page.locator(f"#trends-connectors tr[data-connector='{connector['connector_id']}']")
        rate = f"{round(100 * levels['success'] / sum(levels.values()), 1):g}".replace(".", ",")
        expect(row.locator("td").nth(4)).to_have_text(re.compile(rf"^{rate}\s%$"))

    page.get_by_label("Connecteur").select_option("web-a")
    expect(page.locator("main[data-page='tendances']")).to_be_visible()
    assert "connector_id=web-a" in page.evaluate("location.hash")
    series = shop.get("/v1/trends", window="7d", interval="1d", connector_id="web-a")["series"]
    errors = sum(p["count"] for p in series["error"])
    expect(page.locator(".chart").first).to_have_attribute(
        "aria-label", re.compile(f"{errors} erreurs")
    )
    shot(page, "tendances")


def test_reports_count_the_query_pick_a_connector_and_show_durations(
    page: Page, shop: Shop
) -> None:
    sign_in(page, shop)
    visit(page, "rapports")
    total = page.locator("#reports-total")
    expect(total).to_have_attribute("data-total", str(sum(shop.posted.values())))
    picker = page.locator("#f-connector")
    options = picker.locator("option").evaluate_all("os => os.map(o => o.value)")
    assert options == ["", "web-a", "web-b"]
    picker.select_option("web-b")
    page.get_by_role("button", name="Rechercher").click()
    expect(page.locator("main[data-page='rapports']")).to_be_visible()
    web_b = shop.get("/v1/reports", connector_id="web-b", limit=1)["total"]
    expect(total).to_have_attribute("data-total", str(web_b))
    assert set(page.locator("#reports tr.report td:nth-child(3)").all_inner_texts()) == {"web-b"}

    visit(page, f"rapports?reference={shop.reference}")
    expect(page.locator("#reports tr.report .duration")).to_have_text("1,5 s")
    expect(total).to_have_text("1 événement(s) correspondent à ces critères.")


def test_the_notifications_page_and_the_corner_that_closes_on_navigation(
    page: Page, shop: Shop
) -> None:
    operator_token = (shop.pipeline.data_dir / "operator.token").read_text().strip()
    title = f"Mise à jour {uuid.uuid4().hex[:6]}"
    with shop.pipeline.client(operator_token) as operator:
        published = operator.post(
            "/v1/admin/notifications",
            json={
                "title": title,
                "body": "Rien à faire.",
                "licence_ids": [shop.licence.licence_id],
            },
        )
        assert published.status_code == 201, published.text
    unread = shop.get("/v1/notifications")["unread"]
    sign_in(page, shop)
    expect(page.locator("#menu-unread")).to_have_text(str(unread))
    page.locator(".notification-toggle").click()
    expect(page.locator("#notification-panel")).to_be_visible()
    page.locator("#menu").get_by_role("link", name="Rapports").click()
    expect(page.locator("main[data-page='rapports']")).to_be_visible()
    expect(page.locator("#notification-panel")).to_have_count(0)
    expect(page.locator("#notifications")).to_be_hidden()  # the dashboard's corner only

    page.locator("#menu").get_by_role("link", name="Notifications").click()
    expect(page.locator("main[data-page='notifications']")).to_be_visible()
    mine = page.locator("#notification-list li", has_text=title)
    expect(mine).to_have_attribute("data-read", "false")
    mine.get_by_role("button", name="Marquer comme lue").click()
    expect(mine).to_have_attribute("data-read", "true")
    assert shop.get("/v1/notifications")["unread"] == unread - 1
    shot(page, "notifications-page")

    # The corner is the dashboard's last block, on a phone too: it sits on none of its rows.
    visit(page, "tableau-de-bord")
    for size in (LAPTOP, PHONE):
        page.set_viewport_size(size)
        corner = page.locator("#notifications")
        expect(corner).to_be_visible()
        assert corner.evaluate("e => getComputedStyle(e).position") == "static"
        bottom = page.locator("main").evaluate("e => e.getBoundingClientRect().bottom")
        assert corner.evaluate("e => e.getBoundingClientRect().top") >= bottom
