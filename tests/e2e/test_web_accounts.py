"""The accounts pages of the web interface in a real headless Chromium (Debian's package)
driven by Playwright, against the suite's running pipeline and its SMTP server: signing up and
creating a password from the e-mailed link, signing in (wrong password, throttled, second
factor), a forgotten password, signing out, a person without a licence, a viewer, the licence
switcher, the account page, the team and the keys. Each test checks what the page shows and
what the API then holds.

Every page gets a client address of its own (X-Forwarded-For, which the API trusts from the
loopback): its failed sign-ins count against it alone, never against the whole suite's."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pyotp
import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from licences import Credentials
from tests.support import browser as web
from tests.support.accounts import link_in, person
from tests.support.browser import LAPTOP, PHONE, shot, visit
from tests.support.pipeline import Pipeline, wait_until
from tests.support.receivers import SmtpServer

pytestmark = pytest.mark.pipeline

LEVELS = ("success", "alert", "error")
STRONG = "velours cerise sur la colline au petit matin"
"""A phrase of several words: the policy's example of a password it accepts."""


def new_email(tag: str) -> str:
    return f"web-{tag}-{uuid.uuid4().hex[:10]}@boutique.example"


def api(
    pipeline: Pipeline, token: str | None = None, licence_id: str | None = None, **headers: str
) -> httpx.Client:
    """The API as the page calls it: the session token, and the licence chosen."""
    sent = dict(headers)
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    if licence_id is not None:
        sent["X-ERO-Licence"] = licence_id
    return httpx.Client(base_url=pipeline.url, headers=sent, timeout=30)


def add_member(pipeline: Pipeline, licence_id: str, email: str, role: str) -> None:
    """The operator gives an account a role in a licence (POST /v1/admin/licences/.../members)."""
    operator_token = (pipeline.data_dir / "operator.token").read_text().strip()
    with pipeline.client(operator_token) as operator:
        added = operator.post(
            f"/v1/admin/licences/{licence_id}/members", json={"email": email, "role": role}
        )
    assert added.status_code == 201, added.text


def fragment(link: str) -> str:
    """The route of an e-mailed link (the page's own origin serves it here)."""
    return link[link.index("#") :]


@dataclass(frozen=True)
class Shop:
    """A licence of this file's own, with known counts per level."""

    credentials: Credentials
    name: str
    counts: dict[str, int]
    reference: str  # of an error line whose suggested action is `reimport_order`

    @property
    def licence_id(self) -> str:
        return self.credentials.licence_id


def _shop(pipeline: Pipeline, counts: dict[str, int]) -> Shop:
    name = f"web accounts {uuid.uuid4().hex[:6]}"
    credentials = pipeline.create_licence(name)
    reference = f"CMD-{uuid.uuid4().hex[:8].upper()}"
    now = datetime.now(UTC)
    messages = {
        "success": ("ok", "Commande {ref} importée dans Sage 100"),
        "alert": ("warning", "Écart de TVA de 0,02 EUR sur la commande {ref}"),
        "error": ("error", "La commande {ref} a été importée partiellement, relancez l'import"),
    }
    lines: list[dict[str, str]] = []
    for level in LEVELS:
        for index in range(counts[level]):
            status, message = messages[level]
            ref = reference if level == "error" and index == 0 else f"{reference}-{level}{index}"
            lines.append(
                {
                    "event_id": str(uuid.uuid4()),
                    "connector_id": "web-accounts",
                    "occurred_at": (now - timedelta(minutes=len(lines) + 1)).isoformat(),
                    "operation": "order.import",
                    "message": message.format(ref=ref),
                    "status": status,
                    "reference": ref,
                }
            )
    with pipeline.client(credentials.connector_key) as connector:
        posted = connector.post("/v1/events", json=lines)
        assert posted.json()["accepted"] == len(lines), posted.text
    with pipeline.client(credentials.reader_token) as reader:

        def counted() -> bool:
            levels = reader.get("/v1/dashboard").json()["levels"]
            return {level: levels[level]["count"] for level in LEVELS} == counts

        wait_until(counted)
    return Shop(credentials, name, counts, reference)


@pytest.fixture(scope="module")
def shop(pipeline: Pipeline) -> Shop:
    return _shop(pipeline, {"success": 2, "alert": 1, "error": 1})


@pytest.fixture(scope="module")
def other_shop(pipeline: Pipeline) -> Shop:
    return _shop(pipeline, {"success": 1, "alert": 0, "error": 3})


@pytest.fixture
def address() -> str:
    return web.own_address()


@pytest.fixture
def page(browser: Browser, address: str) -> Iterator[Page]:
    with web.opened(browser, extra_http_headers={"X-Forwarded-For": address}) as opened:
        yield opened


def tiles(page: Page) -> dict[str, int]:
    return {
        level: int(
            re.sub(
                r"\D",
                "",
                page.locator(
                    f"[data-scope='all'] .tile[data-level='{level}'] .tile-count"
                ).inner_text(),
            )
        )
        for level in LEVELS
    }


def dashboard_counts(pipeline: Pipeline, token: str, licence_id: str) -> dict[str, int]:
    with api(pipeline, token, licence_id) as client:
        answer = client.get("/v1/dashboard")
    assert answer.status_code == 200, answer.text
    levels = answer.json()["levels"]
    return {level: levels[level]["count"] for level in LEVELS}


def me(pipeline: Pipeline, token: str) -> httpx.Response:
    with api(pipeline, token) as client:
        return client.get("/v1/auth/me")


def rule(page: Page, code: str, within: str = "#password-rules") -> Locator:
    return page.locator(f"{within} li[data-rule='{code}']")


def test_sign_up_then_the_emailed_link_refuses_a_weak_password_with_its_reasons_then_signs_in(
    page: Page, pipeline: Pipeline, smtp_server: SmtpServer, shop: Shop
) -> None:
    email = new_email("signup")
    page.goto(f"{pipeline.url}/#/connexion")
    page.get_by_role("link", name="Créer un compte").click()
    expect(page.locator("main[data-page='inscription']")).to_be_visible()
    expect(page.get_by_label("E-mail")).to_be_focused()
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Votre nom").fill("Camille Web")
    page.get_by_label("Nom de la boutique").fill("Lumière du Sud")
    with page.expect_response("**/v1/auth/signup") as signup:
        page.get_by_role("button", name="Créer mon compte").click()
    assert signup.value.status == 202
    expect(page.locator("#signup-outcome")).to_have_text(signup.value.json()["fr"])
    shot(page, "inscription")

    # The e-mailed link: for whom and what, and the format required before any typing.
    link = link_in(smtp_server, email)
    token = link.rsplit("jeton=", 1)[1]
    page.goto(f"{pipeline.url}/{fragment(link)}")
    expect(page.locator("main[data-page='mot-de-passe']")).to_be_visible()
    expect(page.locator("#link-email")).to_have_text(email)
    expect(page.locator("#link-purpose")).to_have_attribute("data-purpose", "create")
    expect(page.get_by_label("Nouveau mot de passe")).to_be_focused()
    policy = httpx.get(f"{pipeline.url}/v1/auth/policy").json()
    expect(page.locator(".policy-intro")).to_have_text("Le format de mot de passe requiert :")
    rules = page.locator("#password-rules li")
    expect(rules).to_have_count(len(policy["rules"]))
    assert [re.sub(r"^\W+", "", text) for text in rules.all_inner_texts()] == [
        r["fr"] for r in policy["rules"]
    ]
    assert set(rules.evaluate_all("items => items.map(li => li.dataset.state)")) == {"unknown"}

    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "mot-de-passe-telephone")
    page.set_viewport_size(LAPTOP)

    # Too short: the length is judged in the page, the rest waits for a length that fits.
    password = page.get_by_label("Nouveau mot de passe")
    password.fill("court")
    expect(rule(page, "password_too_short")).to_have_attribute("data-state", "unmet")
    expect(rule(page, "password_guessable")).to_have_attribute("data-state", "unknown")

    # Weak ones: the server's verdicts, rule by rule.
    weak_ones = {
        "motdepasse123": "password_guessable",
        f"{email.split('@')[0]} velours du matin": "password_has_email",
    }
    for weak, reason in weak_ones.items():
        with api(pipeline) as anyone:
            verdict = anyone.post(
                "/v1/auth/password/check", json={"password": weak, "token": token}
            )
        failed = {r["code"] for r in verdict.json()["failed"]}
        assert reason in failed, (weak, failed)
        password.fill(weak)
        for code in (r["code"] for r in policy["rules"]):
            expect(rule(page, code)).to_have_attribute(
                "data-state", "unmet" if code in failed else "met"
            )
    shot(page, "mot-de-passe-refus")

    # Sent anyway: the server's refusal lists each rule not met, and nothing is set.
    page.get_by_role("button", name="Enregistrer le mot de passe").click()
    refused = page.locator("#password-outcome .failed-rules li")
    expect(refused).to_have_count(len(failed))
    expect(page.locator("#password-outcome li[data-rule='password_has_email']")).to_have_text(
        "Ne contient pas votre adresse e-mail."
    )
    with api(pipeline) as anyone:
        assert anyone.post("/v1/auth/link", json={"token": token}).status_code == 200  # unused

    password.fill(STRONG)
    for code in (r["code"] for r in policy["rules"]):
        expect(rule(page, code)).to_have_attribute("data-state", "met")
    expect(page.locator("#password-rules-summary")).to_have_text(
        "Toutes les règles sont respectées."
    )
    page.get_by_role("button", name="Enregistrer le mot de passe").click()
    expect(page.locator("main[data-page='connexion']")).to_be_visible()
    expect(page.locator("#signin-message")).to_have_text(
        "Votre mot de passe est créé : connectez-vous."
    )
    expect(page.get_by_label("E-mail")).to_have_value(email)
    with api(pipeline) as anyone:
        assert anyone.post("/v1/auth/link", json={"token": token}).status_code == 410  # used

    # With a licence (the operator's doing), the password opens the licence's dashboard.
    add_member(pipeline, shop.licence_id, email, "owner")
    page.get_by_label("Mot de passe", exact=True).fill(STRONG)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.locator("main[data-page='tableau-de-bord']")).to_be_visible()
    session = web.session_token(page)
    assert tiles(page) == dashboard_counts(pipeline, session, shop.licence_id) == shop.counts
    expect(page.locator("#who")).to_have_text("Camille Web")
    answer = me(pipeline, session).json()
    assert (answer["user"]["email"], answer["user"]["name"], answer["user"]["shop_name"]) == (
        email,
        "Camille Web",
        "Lumière du Sud",
    )
    assert [(h["licence_id"], h["role"]) for h in answer["licences"]] == [
        (shop.licence_id, "owner")
    ]
    shot(page, "tableau-de-bord-compte")


def test_a_wrong_password_then_too_many_show_the_apis_messages(
    page: Page, pipeline: Pipeline, address: str
) -> None:
    email = new_email("throttled")
    page.goto(f"{pipeline.url}/#/connexion")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Mot de passe", exact=True).fill("pas le bon mot de passe")
    with page.expect_response("**/v1/auth/login") as wrong:
        page.get_by_role("button", name="Se connecter").click()
    assert wrong.value.status == 401
    message = page.locator("#signin-message")
    expect(message).to_have_text(wrong.value.json()["detail"]["fr"])
    expect(message).to_have_text("E-mail ou mot de passe incorrect.")
    assert page.evaluate("sessionStorage.getItem('ero.token')") is None

    # More failures for this e-mail from this address, until the API slows them down.
    with api(pipeline, **{"X-Forwarded-For": address}) as client:

        def throttled() -> bool:
            tried = client.post("/v1/auth/login", json={"email": email, "password": "encore faux"})
            assert tried.status_code in (401, 429), tried.text
            return tried.status_code == 429

        wait_until(throttled, timeout=60, every=0)

    with page.expect_response("**/v1/auth/login") as slowed:
        page.get_by_role("button", name="Se connecter").click()
    assert slowed.value.status == 429
    seconds = int(slowed.value.headers["retry-after"])
    expect(message).to_contain_text(slowed.value.json()["detail"]["fr"])
    expect(message).to_contain_text(f"{seconds} s")
    button = page.locator("#signin-form button[type=submit]")
    expect(button).to_be_disabled()
    expect(button).to_contain_text(re.compile(r"\(\d+ s\)"))
    shot(page, "connexion-trop-d-essais")


def test_a_forgotten_password_is_reset_by_the_emailed_link_and_the_old_one_fails(
    page: Page, pipeline: Pipeline, smtp_server: SmtpServer, shop: Shop, address: str
) -> None:
    who = person(pipeline, smtp_server, shop.licence_id, "member", email=new_email("forgot"))
    created = link_in(smtp_server, who.email)
    page.goto(f"{pipeline.url}/#/connexion")
    page.get_by_role("link", name="Mot de passe oublié ?").click()
    expect(page.locator("main[data-page='oubli']")).to_be_visible()
    page.get_by_label("E-mail").fill(who.email)
    with page.expect_response("**/v1/auth/forgot") as forgot:
        page.get_by_role("button", name="Recevoir le lien").click()
    assert forgot.value.status == 202
    expect(page.locator("#forgot-outcome")).to_have_text(forgot.value.json()["fr"])

    def newer() -> str | None:
        found = link_in(smtp_server, who.email)
        return found if found != created else None

    reset = wait_until(newer)
    page.goto(f"{pipeline.url}/{fragment(reset)}")
    expect(page.locator("#link-purpose")).to_have_attribute("data-purpose", "reset")
    expect(page.get_by_role("heading", level=1)).to_have_text("Choisir un nouveau mot de passe")
    new = f"{STRONG} {uuid.uuid4().hex[:4]}"
    page.get_by_label("Nouveau mot de passe").fill(new)
    expect(rule(page, "password_guessable")).to_have_attribute("data-state", "met")
    page.get_by_role("button", name="Enregistrer le mot de passe").click()
    expect(page.locator("#signin-message")).to_have_text(
        "Votre nouveau mot de passe est enregistré : connectez-vous."
    )

    # The API: the old password fails, the new one opens a session; earlier sessions ended.
    with api(pipeline, **{"X-Forwarded-For": address}) as client:
        old = client.post("/v1/auth/login", json={"email": who.email, "password": who.password})
        assert old.status_code == 401, old.text
    assert me(pipeline, who.session_token).status_code == 401
    page.get_by_label("Mot de passe", exact=True).fill(who.password)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.locator("#signin-message")).to_have_text("E-mail ou mot de passe incorrect.")
    page.get_by_label("Mot de passe", exact=True).fill(new)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.locator("main[data-page='tableau-de-bord']")).to_be_visible()

    # The link served once: opened again, it says so and leads to a new one.
    page.goto(f"{pipeline.url}/{fragment(reset)}")
    expect(page.locator("#link-gone")).to_contain_text("Ce lien a déjà servi ou a expiré")
    page.get_by_role("link", name="Recevoir un nouveau lien").click()
    expect(page.locator("main[data-page='oubli']")).to_be_visible()


def test_signing_out_ends_the_session_and_one_ended_elsewhere_returns_to_sign_in(
    page: Page, pipeline: Pipeline, smtp_server: SmtpServer, shop: Shop
) -> None:
    who = person(pipeline, smtp_server, shop.licence_id, "member", email=new_email("out"))
    web.sign_in(page, pipeline.url, who.email, who.password)
    token = web.session_token(page)
    assert me(pipeline, token).status_code == 200
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.locator("main[data-page='connexion']")).to_be_visible()
    assert page.evaluate("sessionStorage.length") == 0
    assert me(pipeline, token).status_code == 401

    # Signed in again, then the session ends elsewhere: the next page goes back to sign-in
    # with the API's words.
    web.sign_in(page, pipeline.url, who.email, who.password)
    again = web.session_token(page)
    with api(pipeline, again) as client:
        assert client.post("/v1/auth/logout").status_code == 204
    ended = me(pipeline, again)
    assert ended.status_code == 401
    page.get_by_role("link", name="Rapports", exact=True).click()
    expect(page.locator("main[data-page='connexion']")).to_be_visible()
    expect(page.locator("#signin-message")).to_have_text(ended.json()["detail"]["fr"])
    assert page.evaluate("sessionStorage.getItem('ero.token')") is None


def test_an_account_without_a_licence_sees_only_that_it_has_none(
    page: Page, pipeline: Pipeline, smtp_server: SmtpServer
) -> None:
    who = person(pipeline, smtp_server, None, email=new_email("nolicence"))
    web.sign_in(page, pipeline.url, who.email, who.password, lands="sans-licence")
    expect(page.get_by_role("heading", level=1)).to_have_text("Vous ne possédez pas de licence")
    expect(page.locator("#top")).to_be_hidden()
    expect(page.get_by_role("navigation")).to_have_count(0)
    with api(pipeline, web.session_token(page)) as client:
        refused = client.get("/v1/account")
        held = client.get("/v1/auth/me").json()["licences"]
    assert refused.status_code == 403
    assert refused.json()["detail"]["code"] == "no_licence"
    assert held == []
    contact = page.get_by_role("link", name="ce formulaire de contact")
    expect(contact).to_have_attribute("href", refused.json()["detail"]["contact_url"])
    shot(page, "sans-licence")

    page.get_by_role("button", name="Switch to English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You do not have a licence")
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator("main[data-page='connexion']")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("E-Connecteur Cloud sign-in")
    page.get_by_role("button", name="Passer en français").click()


def test_a_viewer_is_offered_no_action_and_the_api_refuses_one(
    page: Page, pipeline: Pipeline, smtp_server: SmtpServer, shop: Shop
) -> None:
    viewer = person(pipeline, smtp_server, shop.licence_id, "viewer", email=new_email("viewer"))
    web.sign_in(page, pipeline.url, viewer.email, viewer.password)
    visit(page, f"rapports?reference={shop.reference}")
    detail = page.locator("tr.detail")
    expect(detail).to_have_count(1)
    expect(detail).to_contain_text("Connecteur")  # the origin, the hint: what a viewer reads
    expect(page.locator("button.queue")).to_have_count(0)
    expect(page.locator("#role-note")).to_contain_text("lecteur")
    visit(page, "actions")
    expect(page.locator("form.add-action")).to_have_count(0)
    expect(page.locator("#role-note")).to_contain_text("il faut être membre")
    expect(page.get_by_role("link", name="Clés et jetons")).to_have_count(0)
    shot(page, "actions-lecteur")

    with api(pipeline, web.session_token(page), shop.licence_id) as client:
        refused = client.post(
            "/v1/actions", json={"action": "reimport_order", "order_reference": shop.reference}
        )
        assert refused.status_code == 403, refused.text
        assert refused.json()["detail"]["code"] == "role_forbidden"
        assert client.get("/v1/actions").json() == []


def test_a_member_made_viewer_meanwhile_sees_the_apis_refusal(
    page: Page, pipeline: Pipeline, smtp_server: SmtpServer, other_shop: Shop
) -> None:
    member = person(pipeline, smtp_server, other_shop.licence_id, "member", email=new_email("m"))
    web.sign_in(page, pipeline.url, member.email, member.password)
    visit(page, f"rapports?reference={other_shop.reference}")
    queue = page.locator("tr.detail button.queue")
    expect(queue).to_have_count(1)  # offered to a member

    owner = person(pipeline, smtp_server, other_shop.licence_id, "owner", email=new_email("o"))
    with api(pipeline, owner.session_token, other_shop.licence_id) as team:
        demoted = team.put(f"/v1/team/{member.user_id}", json={"role": "viewer"})
        assert demoted.status_code == 200, demoted.text
    with api(pipeline, web.session_token(page), other_shop.licence_id) as client:
        # A write that changes nothing (no such action): refused once the API knows the role.
        cancel = f"/v1/actions/{uuid.uuid4()}/cancel"
        wait_until(lambda: client.post(cancel).status_code == 403, every=0.5)
        expected = client.post(cancel).json()["detail"]["fr"]
        queue.click()
        expect(page.locator("tr.detail .note")).to_have_text(expected)
        assert client.get("/v1/actions").json() == []


def test_two_step_verification_once_enabled_is_asked_at_sign_in(
    page: Page, pipeline: Pipeline, smtp_server: SmtpServer, shop: Shop, address: str
) -> None:
    who = person(pipeline, smtp_server, shop.licence_id, "member", email=new_email("totp"))
    web.sign_in(page, pipeline.url, who.email, who.password)
    page.get_by_role("link", name="Mon compte").click()
    expect(page.locator("main[data-page='compte']")).to_be_visible()
    expect(page.locator("#totp-state")).to_have_attribute("data-enabled", "false")
    page.get_by_role("button", name="Activer la double authentification").click()
    qr = page.get_by_role("img", name="QR code de la double authentification")
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    assert me(pipeline, who.session_token).json()["user"]["totp_enabled"] is False
    expect(page.get_by_label("Code")).to_be_focused()
    shot(page, "compte-double-authentification")

    totp = pyotp.TOTP(secret)
    enabled_at = time.time()
    page.keyboard.type(totp.at(enabled_at))
    page.keyboard.press("Enter")
    codes = page.locator("#recovery-codes li")
    expect(codes).to_have_count(10)
    recovery = codes.all_inner_texts()
    assert all(re.fullmatch(r"[A-Z2-9]{4}(-[A-Z2-9]{4}){3}", code) for code in recovery)
    assert me(pipeline, who.session_token).json()["user"]["totp_enabled"] is True
    shot(page, "compte-codes-de-secours")
    page.get_by_role("button", name="J'ai conservé mes codes").click()
    # The page is drawn again (its header too): gone, the codes say it was.
    expect(page.locator("#recovery")).to_have_count(0)
    expect(page.locator("#totp-state")).to_have_attribute("data-enabled", "true")

    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.locator("main[data-page='connexion']")).to_be_visible()
    page.get_by_label("E-mail").fill(who.email)
    page.get_by_label("Mot de passe", exact=True).fill(who.password)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name="Double authentification")).to_be_visible()
    code = page.get_by_label("Code")
    expect(code).to_be_focused()
    assert page.evaluate("sessionStorage.getItem('ero.token')") is None
    near = {totp.at(enabled_at + 30 * step) for step in range(-1, 4)}
    wrong = next(c for c in (f"{n:06d}" for n in range(10**6)) if c not in near)
    code.fill(wrong)
    with page.expect_response("**/v1/auth/login") as refused:
        page.get_by_role("button", name="Valider").click()
    expect(page.locator("#signin-message")).to_have_text(refused.value.json()["detail"]["fr"])
    # The next step's code: a code is accepted once, and the API takes the step after the
    # current one too (a phone's clock may drift), so this holds whenever the step turns.
    code.fill(totp.at(enabled_at + 30))
    page.get_by_role("button", name="Valider").click()
    expect(page.locator("main[data-page='tableau-de-bord']")).to_be_visible()

    # A recovery code the page showed signs in once, in place of the code.
    with api(pipeline, **{"X-Forwarded-For": address}) as client:
        body = {"email": who.email, "password": who.password, "totp": recovery[0]}
        assert client.post("/v1/auth/login", json=body).status_code == 200
        assert client.post("/v1/auth/login", json=body).status_code == 401


def test_changing_the_password_keeps_this_session_and_ends_the_others(
    page: Page, pipeline: Pipeline, smtp_server: SmtpServer, shop: Shop
) -> None:
    who = person(pipeline, smtp_server, shop.licence_id, "member", email=new_email("change"))
    web.sign_in(page, pipeline.url, who.email, who.password)
    before = web.session_token(page)
    visit(page, "compte")
    expect(page.locator("#profile")).to_contain_text(who.email)
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "compte-telephone")
    page.set_viewport_size(LAPTOP)
    form = page.locator("#change-password")
    form.get_by_label("Mot de passe actuel").fill("pas le bon")
    form.get_by_label("Nouveau mot de passe").fill(STRONG)
    form.get_by_role("button", name="Changer le mot de passe").click()
    expect(page.locator("#change-outcome")).to_have_text(
        re.compile("Erreur : Mot de passe actuel incorrect")
    )

    form.get_by_label("Mot de passe actuel").fill(who.password)
    form.get_by_label("Nouveau mot de passe").fill("motdepasse123")
    expect(rule(page, "password_guessable", "#change-rules")).to_have_attribute(
        "data-state", "unmet"
    )
    form.get_by_role("button", name="Changer le mot de passe").click()
    expect(page.locator("#change-outcome li[data-rule='password_guessable']")).to_be_visible()

    new = f"{STRONG} {uuid.uuid4().hex[:4]}"
    form.get_by_label("Nouveau mot de passe").fill(new)
    form.get_by_role("button", name="Changer le mot de passe").click()
    expect(page.locator("#change-outcome")).to_have_text(
        "Mot de passe changé : vos autres sessions sont fermées."
    )
    after = web.session_token(page)
    assert after != before
    assert me(pipeline, after).status_code == 200
    assert me(pipeline, before).status_code == 401
    assert me(pipeline, who.session_token).status_code == 401
    visit(page, "tableau-de-bord")  # the page goes on with its new session
    assert tiles(page) == shop.counts


def test_the_licence_switcher_scopes_every_page_to_the_licence_chosen(
    page: Page, pipeline: Pipeline, smtp_server: SmtpServer, shop: Shop, other_shop: Shop
) -> None:
    who = person(pipeline, smtp_server, shop.licence_id, "owner", email=new_email("two"))
    add_member(pipeline, other_shop.licence_id, who.email, "viewer")
    web.sign_in(page, pipeline.url, who.email, who.password)
    switcher = page.get_by_label("Licence")
    expect(switcher.locator("option")).to_have_count(2)
    assert set(switcher.locator("option").all_inner_texts()) == {shop.name, other_shop.name}
    shops = {shop.licence_id: shop, other_shop.licence_id: other_shop}
    first = page.evaluate("sessionStorage.getItem('ero.licence')")
    expect(switcher).to_have_value(first)
    token = web.session_token(page)
    assert tiles(page) == dashboard_counts(pipeline, token, first) == shops[first].counts
    shot(page, "licences")

    second = next(licence for licence in shops if licence != first)
    with page.expect_request("**/v1/dashboard*") as asked:
        switcher.select_option(second)
    assert asked.value.headers["x-ero-licence"] == second
    expect(page.locator(f"main[data-licence='{second}']")).to_be_visible()
    assert tiles(page) == dashboard_counts(pipeline, token, second) == shops[second].counts
    assert page.evaluate("sessionStorage.getItem('ero.licence')") == second

    # Every page follows, the role of that licence included; a reload keeps the choice.
    page.reload()
    expect(page.locator(f"main[data-licence='{second}']")).to_be_visible()
    expect(page.get_by_label("Licence")).to_have_value(second)
    for licence_id, can_write in ((other_shop.licence_id, False), (shop.licence_id, True)):
        page.get_by_label("Licence").select_option(licence_id)
        expect(page.locator(f"main[data-licence='{licence_id}']")).to_be_visible()
        visit(page, "actions")
        expect(page.locator("form.add-action")).to_have_count(1 if can_write else 0)
        expect(page.get_by_role("link", name="Clés et jetons")).to_have_count(1 if can_write else 0)
        visit(page, "tableau-de-bord")

    page.set_viewport_size(PHONE)
    visit(page, "tableau-de-bord")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "licences-telephone")
    page.set_viewport_size(LAPTOP)

    # Removed from one licence's team while its page is open: the next page goes on in the
    # licence left, and says why.
    page.get_by_label("Licence").select_option(other_shop.licence_id)
    expect(page.locator(f"main[data-licence='{other_shop.licence_id}']")).to_be_visible()
    owner = person(pipeline, smtp_server, other_shop.licence_id, "owner", email=new_email("rm"))
    with api(pipeline, owner.session_token, other_shop.licence_id) as team:
        assert team.delete(f"/v1/team/{who.user_id}").status_code == 204
    with api(pipeline, token, other_shop.licence_id) as client:
        refused = client.get("/v1/dashboard")
    assert refused.status_code == 403
    page.get_by_role("link", name="Rapports", exact=True).click()
    expect(page.locator(f"main[data-licence='{shop.licence_id}']")).to_be_visible()
    expect(page.locator("#status")).to_have_text(refused.json()["detail"]["fr"])
    expect(page.get_by_label("Licence")).to_have_count(0)  # one licence left: no switcher
    assert page.evaluate("sessionStorage.getItem('ero.licence')") == shop.licence_id


def test_the_team_page_lists_members_and_lets_an_owner_invite_change_and_remove(
    page: Page, pipeline: Pipeline, smtp_server: SmtpServer
) -> None:
    team = pipeline.create_licence(f"web team {uuid.uuid4().hex[:6]}")
    owner = person(pipeline, smtp_server, team.licence_id, "owner", email=new_email("owner"))
    member = person(pipeline, smtp_server, team.licence_id, "member", email=new_email("member"))
    web.sign_in(page, pipeline.url, owner.email, owner.password)
    page.get_by_role("link", name="Équipe").click()
    expect(page.locator("main[data-page='equipe']")).to_be_visible()

    with api(pipeline, owner.session_token, team.licence_id) as client:
        listed = client.get("/v1/team").json()
        rows = page.locator("#team tbody tr")
        expect(rows).to_have_count(len(listed))
        assert {m["user_id"] for m in listed} == {owner.user_id, member.user_id}

        invited = new_email("invited")
        page.get_by_label("E-mail").fill(invited)
        page.locator("#invite-role").select_option("viewer")
        page.get_by_role("button", name="Inviter").click()
        expect(rows).to_have_count(3)
        roles = {m["email"]: m["role"] for m in client.get("/v1/team").json()}
        assert roles[invited] == "viewer"

        row = page.locator(f"#team tr[data-user-id='{member.user_id}']")
        row.get_by_role("combobox").select_option("viewer")
        row.get_by_role("button", name="Changer le rôle").click()
        expect(row).to_have_attribute("data-role", "viewer")
        assert {m["user_id"]: m["role"] for m in client.get("/v1/team").json()}[
            member.user_id
        ] == "viewer"
        shot(page, "equipe")
        page.set_viewport_size(PHONE)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        shot(page, "equipe-telephone")
        page.set_viewport_size(LAPTOP)

        row.get_by_role("button", name="Retirer").click()
        dialog = page.get_by_role("dialog")
        expect(dialog).to_be_visible()
        dialog.get_by_role("button", name="Oui, retirer").click()
        expect(row).to_have_count(0)
        assert member.user_id not in {m["user_id"] for m in client.get("/v1/team").json()}

    # A viewer reads the team and is offered no control.
    viewer = person(pipeline, smtp_server, team.licence_id, "viewer", email=new_email("reader"))
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.locator("main[data-page='connexion']")).to_be_visible()
    web.sign_in(page, pipeline.url, viewer.email, viewer.password)
    visit(page, "equipe")
    expect(page.locator("#team tbody tr").first).to_be_visible()
    expect(page.locator("#invite")).to_have_count(0)
    expect(page.locator("#team select, #team button")).to_have_count(0)
    expect(page.locator("#role-note")).to_be_visible()


def test_the_keys_page_creates_a_token_shown_once_and_revokes_it(
    page: Page, pipeline: Pipeline, smtp_server: SmtpServer
) -> None:
    licence = pipeline.create_licence(f"web keys {uuid.uuid4().hex[:6]}")
    owner = person(pipeline, smtp_server, licence.licence_id, "owner", email=new_email("keys"))
    web.sign_in(page, pipeline.url, owner.email, owner.password)
    page.get_by_role("link", name="Clés et jetons").click()
    expect(page.locator("main[data-page='cles']")).to_be_visible()

    expect(page.get_by_label("Rôle")).to_be_hidden()  # a connector key takes no role
    page.get_by_label("Type").select_option("token")
    page.get_by_label("Nom", exact=True).fill("Script compta")
    page.get_by_label("Rôle").select_option("viewer")
    page.get_by_role("button", name="Créer", exact=True).click()
    shown = page.locator("#new-key")
    expect(shown).to_be_visible()
    key = shown.inner_text()
    with api(pipeline, owner.session_token, licence.licence_id) as client:
        made = [k for k in client.get("/v1/keys").json() if k["name"] == "Script compta"]
        assert [(k["kind"], k["role"], k["revoked_at"]) for k in made] == [
            ("token", "viewer", None)
        ]
        with pipeline.client(key) as script:
            assert script.get("/v1/dashboard").status_code == 200
        shot(page, "cles")
        page.set_viewport_size(PHONE)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        shot(page, "cles-telephone")
        page.set_viewport_size(LAPTOP)

        row = page.locator(f"#keys tr[data-key-id='{made[0]['key_id']}']")
        row.get_by_role("button", name="Révoquer").click()
        page.get_by_role("dialog").get_by_role("button", name="Oui, révoquer").click()
        expect(row).to_have_attribute("data-revoked", "true")
        revoked = {k["key_id"]: k for k in client.get("/v1/keys").json()}[made[0]["key_id"]]
        assert revoked["revoked_at"] is not None
        with pipeline.client(key) as script:
            assert script.get("/v1/dashboard").status_code == 401
