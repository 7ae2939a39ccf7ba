"""Every page of the web interface, in French and in English, at 1366 px and 375 px: no string
outside the catalog of the page's language, no raw key, no UUID; a screenshot of each.

How it decides, without a list of pages or of expected texts (so that the pages other changes
add are walked too, and a new word does not need the test changed):

- **The routes** are read from the pages themselves: every `#/…` link of a menu (`nav`
  elements: the merchant's menu with its « Compte » entries, the console's) and of the
  dashboard's gear, as an owner of a licence holding successes, alerts and errors (and a
  notification) sees them; the console's as an operator; the public pages are the sign-in page
  and every page it links to, plus the e-mailed link's page (`mot-de-passe`); and the one page
  a person holding no licence sees.
- **The catalog** is what the pages themselves load: every `web/static/js/words/*.js` is
  imported in the browser. A value is *French-only* if no English value of any key equals it
  (and *English-only* the other way round); a value with `{placeholders}` becomes a pattern.
- **API data** is what the API answered the page (every JSON string of every `/v1/` answer,
  seen through a route handler): connector messages, names and hints are the merchant's data,
  in whatever language the connector wrote them, never the catalog's business.
- **What is checked** is every visible text node (and the `aria-label`, `title`,
  `placeholder` and `alt` of visible elements, and the document's title), split at the
  separators pages put between a word and a figure (` : `, ` — `, ` · `, brackets), each piece
  that is not API data:
  - on an English page, a French-only value is a string left untranslated, and so is text
    with French accents (a French sentence written into a page instead of the catalog), unless
    an ancestor says it is French on purpose (`lang="fr"`: the « Français » button);
  - on a French page, an English-only value;
  - in both, a raw key (`t()` answers the key when it has no word: `^[a-z]+(_[a-z0-9]+)+$`);
  - in both, anything shaped like a UUID, data included: names and short references only;
  - and a page wider than the screen (a phone scrolling sideways).

One browser, one context per language and width (the session is put in the tab's storage,
as the sign-in page would, so the English contexts need no French form), each page visited
by its hash and read once drawn (`main[data-page]`). Screenshots land in test-output/web/pages/.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, ViewportSize, expect

from tests.support import browser as web
from tests.support.accounts import Person, operator, operator_person, person
from tests.support.pipeline import Pipeline, wait_until
from tests.support.receivers import SmtpServer

pytestmark = pytest.mark.pipeline

WORDS = Path(__file__).resolve().parents[2] / "web" / "static" / "js" / "words"
SHOTS = web.SCREENSHOTS / "pages"
WIDTHS = {"1366": ViewportSize(width=1366, height=900), "375": ViewportSize(width=375, height=812)}
LANGUAGES = ("fr", "en")
RAW_KEY = re.compile(r"^[a-z]+(_[a-z0-9]+)+$")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
SEPARATORS = re.compile(r"\s*(?: : |: | — | · |\(|\)|\n|→)\s*")
FRENCH_LETTERS = re.compile(r"[éèêëàâçîïôûùœ]", re.I)
PUBLIC_EXTRA = ("mot-de-passe",)  # the e-mailed link's page: no page links to it

# What the page shows, read in the page: [{text, french}] of visible text nodes and labels.
VISIBLE_TEXT = """() => {
  const shown = (element) =>
    element.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true });
  const french = (element) => Boolean(element.closest("[lang]:not(html)")?.lang === "fr");
  const found = [{ text: document.title, french: false }];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || ["SCRIPT", "STYLE", "NOSCRIPT"].includes(parent.tagName)) continue;
    const inSelect = parent.closest("select");
    if (!(inSelect ? shown(inSelect) : shown(parent))) continue;
    if (node.textContent.trim()) found.push({ text: node.textContent, french: french(parent) });
  }
  const labelled = "[aria-label], [title], [placeholder], [alt]";
  for (const element of document.body.querySelectorAll(labelled)) {
    if (!shown(element)) continue;
    for (const name of ["aria-label", "title", "placeholder", "alt"]) {
      const value = element.getAttribute(name);
      if (value && value.trim()) found.push({ text: value, french: french(element) });
    }
  }
  return found;
}"""

# Every words file the pages load, as the browser imports it.
CATALOG = """async (files) => {
  const script = document.querySelector("script[type=module]").src;
  const root = script.replace(/js\\/[^/]+\\/?[^/]*$/, "");
  const words = { fr: {}, en: {} };
  for (const file of files) {
    const area = (await import(`${root}js/words/${file}`)).default;
    Object.assign(words.fr, area.fr);
    Object.assign(words.en, area.en);
  }
  return words;
}"""

# The menus' routes: merchant menu, personal entries, the console's, the dashboard's gear.
MENU_ROUTES = """() => [...document.querySelectorAll("nav a[href^='#/'], .gear-menu a[href^='#/']")]
  .map((a) => a.getAttribute("href").slice(2).split("?")[0])"""


def _pattern(value: str) -> re.Pattern[str] | None:
    """A value with placeholders as a pattern; None when its fixed part is too short to tell
    anything apart ("{s} s")."""
    parts = re.split(r"\{\w+\}", value)
    if len(parts) == 1 or sum(c.isalpha() for c in "".join(parts)) < 4:
        return None
    return re.compile("^" + ".+?".join(re.escape(part) for part in parts) + "$", re.S)


@dataclass
class Catalog:
    fr: dict[str, str]
    en: dict[str, str]

    def only(self, language: str) -> tuple[set[str], list[re.Pattern[str]]]:
        """The values of one language that no value of the other has: plain and patterns."""
        mine, theirs = (self.fr, self.en) if language == "fr" else (self.en, self.fr)
        other = set(theirs.values())
        values = {v for v in mine.values() if v not in other}
        plain = {v for v in values if not re.search(r"\{\w+\}", v)}
        patterns = [p for v in values - plain if (p := _pattern(v)) is not None]
        return plain, patterns


@dataclass
class Walk:
    """What one context saw: the API's strings, and the problems found on each page."""

    data: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)

    def keep(self, body: Any) -> None:
        if isinstance(body, str):
            self.data.add(body.strip())
        elif isinstance(body, dict):
            for value in body.values():
                self.keep(value)
        elif isinstance(body, list):
            for value in body:
                self.keep(value)

    def is_data(self, piece: str) -> bool:
        return piece in self.data or any(piece in text for text in self.data if len(text) > 2)


def _watch(context: BrowserContext, walk: Walk) -> None:
    def through(route: Route) -> None:
        response = route.fetch()
        if "json" in response.headers.get("content-type", ""):
            walk.keep(orjson.loads(response.body()))
        route.fulfill(response=response)

    context.route("**/v1/**", through)


def _pieces(text: str) -> list[str]:
    # A list written as text (a ticket's pre-filled message) puts a bullet before each line.
    return [piece for piece in (p.strip().lstrip("-•* ") for p in SEPARATORS.split(text)) if piece]


def check(page: Page, walk: Walk, catalog: Catalog, language: str, where: str) -> None:
    foreign, patterns = catalog.only("fr" if language == "en" else "en")
    for shown in page.evaluate(VISIBLE_TEXT):
        text = shown["text"].strip()
        if UUID.search(text):
            walk.problems.append(f"{where}: a UUID on screen: {text!r}")
        for piece in _pieces(text):
            if walk.is_data(piece):
                continue
            if RAW_KEY.match(piece):
                walk.problems.append(f"{where}: a raw key: {piece!r}")
            elif piece in foreign or any(p.match(piece) for p in patterns):
                walk.problems.append(f"{where}: not in {language}: {piece!r}")
            elif language == "en" and not shown["french"] and FRENCH_LETTERS.search(piece):
                walk.problems.append(f"{where}: French text on the English page: {piece!r}")


@dataclass(frozen=True)
class Shop:
    pipeline: Pipeline
    owner: Person
    operator: Person
    unlicensed: Person  # an account holding no licence


@pytest.fixture(scope="module")
def shop(pipeline: Pipeline, smtp_server: SmtpServer) -> Shop:
    """A licence with successes, alerts and errors on two connectors, a pending action and a
    notification, its owner, and an operator of the vendor."""
    licence = pipeline.create_licence(f"Boutique des pages {uuid.uuid4().hex[:6]}")
    now = datetime.now(UTC)
    lines = [
        ("ok", "order.import", "Commande {ref} importée dans Sage 100"),
        ("warning", "order.import", "Écart de TVA de 0,02 EUR sur la commande {ref}"),
        ("error", "order.import", "La commande {ref} a été importée partiellement"),
        ("error", "stock.export", "Timeout ODBC lors de la connexion à la base EBP (30 s)"),
    ]
    events = [
        {
            "event_id": str(uuid.uuid4()),
            "connector_id": ("boutique-principale", "boutique-outlet")[index % 2],
            "occurred_at": (now - timedelta(minutes=3 + 41 * index)).isoformat(),
            "operation": operation,
            "status": status,
            "message": message.format(ref=f"CMD-{1000 + index}"),
            "reference": f"CMD-{1000 + index}",
            "duration_ms": 120 + 977 * index,
        }
        for index, (status, operation, message) in enumerate(lines * 3)
    ]
    owner = person(pipeline, smtp_server, licence.licence_id)
    with pipeline.client(licence.connector_key) as connector:
        posted = connector.post("/v1/events", json=events)
        assert posted.json()["accepted"] == len(events), posted.text
    with pipeline.client(licence.reader_token) as reader:

        def stored() -> bool:
            levels = reader.get("/v1/dashboard").json()["levels"]
            return all(levels[level]["count"] for level in ("success", "alert", "error"))

        wait_until(stored)
        queued = reader.post("/v1/actions", json={"action": "clear_cache"})
        assert queued.status_code in (201, 202), queued.text
    with operator(pipeline) as vendor:
        published = vendor.post(
            "/v1/admin/notifications",
            json={
                "title": "Nouvelle version du connecteur",
                "body": "La version 7.4 corrige l'import des commandes.",
                "licence_ids": [licence.licence_id],
            },
        )
        assert published.status_code == 201, published.text
    return Shop(
        pipeline, owner, operator_person(pipeline, smtp_server), person(pipeline, smtp_server, None)
    )


@contextmanager
def tab(
    browser: Browser, language: str, width: str, token: str | None = None
) -> Iterator[tuple[Page, Walk]]:
    """A context of its own: the language chosen and, with `token`, the session signed in;
    fails if the page's JavaScript threw."""
    context = browser.new_context(
        viewport=WIDTHS[width],
        locale="fr-FR" if language == "fr" else "en-GB",
        timezone_id="Europe/Paris",
        extra_http_headers={"X-Forwarded-For": web.own_address()},
    )
    stored = {"ero.lang": language}
    signed = {"ero.token": token} if token else {}
    context.add_init_script(
        f"Object.entries({orjson.dumps(stored).decode()}).forEach(([k, v]) => "
        "localStorage.setItem(k, v));"
        f"Object.entries({orjson.dumps(signed).decode()}).forEach(([k, v]) => "
        "sessionStorage.setItem(k, v));"
    )
    walk = Walk()
    _watch(context, walk)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page, walk
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def catalog_of(page: Page) -> Catalog:
    words = page.evaluate(CATALOG, sorted(path.name for path in WORDS.glob("*.js")))
    return Catalog(fr=words["fr"], en=words["en"])


def shown(page: Page, route: str, lands: str | None = None) -> None:
    """Follow a route and wait until its page (or `lands`) is drawn."""
    page.evaluate("hash => { if (location.hash !== hash) location.hash = hash; }", f"#/{route}")
    expect(page.locator(f"main[data-page='{lands or route}']")).to_be_visible()


def walk_all(
    browser: Browser,
    base: str,
    start: str,
    routes: list[str],
    token: str | None,
    name: str,
    lands: str | None = None,
) -> list[str]:
    """Every route in every language and width: the problems found, screenshots taken.
    `lands`: the page every route shows instead (a person holding no licence)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    for language in LANGUAGES:
        for width in WIDTHS:
            with tab(browser, language, width, token) as (page, walk):
                page.goto(f"{base}{start}")
                catalog = catalog_of(page)
                for route in routes:
                    shown(page, route, lands)
                    where = f"{name} {language} {width} {route}"
                    check(page, walk, catalog, language, where)
                    wide = page.evaluate("document.documentElement.scrollWidth")
                    if wide > WIDTHS[width]["width"]:
                        walk.problems.append(f"{where}: {wide} px wide, wider than the screen")
                    page.screenshot(
                        path=SHOTS / f"{name}-{route}-{language}-{width}.png", full_page=True
                    )
                problems += walk.problems
    return problems


def menu_routes(page: Page) -> list[str]:
    return list(dict.fromkeys(page.evaluate(MENU_ROUTES)))


def test_every_merchant_page_says_only_the_catalog_in_both_languages(
    browser: Browser, shop: Shop
) -> None:
    base = shop.pipeline.url
    with tab(browser, "fr", "1366", shop.owner.session_token) as (page, _):
        page.goto(f"{base}/#/tableau-de-bord")
        expect(page.locator("main[data-page='tableau-de-bord']")).to_be_visible()
        routes = menu_routes(page)
    # The menu the product describes, the gear's PC key, and the pages of « Compte ».
    assert {
        "tableau-de-bord",
        "rapports",
        "groupes",
        "configurations",
        "actions",
        "assistance",
        "notifications",
        "surveillance",
        "compte",
        "equipe",
        "cles",
        "cle-pc",
        "tendances",
    } <= set(routes), routes
    problems = walk_all(
        browser, base, "/#/tableau-de-bord", routes, shop.owner.session_token, "merchant"
    )
    assert not problems, "\n".join(problems)


def test_every_console_page_says_only_the_catalog_in_both_languages(
    browser: Browser, shop: Shop
) -> None:
    base = shop.pipeline.url
    with tab(browser, "fr", "1366", shop.operator.session_token) as (page, _):
        page.goto(f"{base}/console")
        expect(page.locator("main[data-page]")).to_be_visible()
        routes = menu_routes(page)
    assert routes
    problems = walk_all(browser, base, "/console", routes, shop.operator.session_token, "console")
    assert not problems, "\n".join(problems)


def test_every_public_page_says_only_the_catalog_in_both_languages(
    browser: Browser, shop: Shop
) -> None:
    base = shop.pipeline.url
    with tab(browser, "fr", "1366") as (page, _):
        page.goto(f"{base}/#/connexion")
        expect(page.locator("main[data-page='connexion']")).to_be_visible()
        linked = page.evaluate(
            "() => [...document.querySelectorAll('main a[href^=\"#/\"]')]"
            ".map((a) => a.getAttribute('href').slice(2).split('?')[0])"
        )
    routes = list(dict.fromkeys(["connexion", *linked, *PUBLIC_EXTRA]))
    assert {"inscription", "oubli"} <= set(routes), routes
    problems = walk_all(browser, base, "/#/connexion", routes, None, "public")
    assert not problems, "\n".join(problems)


def test_the_page_of_a_person_holding_no_licence_says_only_the_catalog(
    browser: Browser, shop: Shop
) -> None:
    token = shop.unlicensed.session_token
    problems = walk_all(
        browser, shop.pipeline.url, "/", ["tableau-de-bord"], token, "no-licence", "sans-licence"
    )
    assert not problems, "\n".join(problems)
