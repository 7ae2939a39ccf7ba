"""Merchant accounts through the running pipeline and real e-mails: sign up, create a password
from the link, sign in and out, reset, change, throttling, the second factor, licences held.
Security properties are asserted as an attacker would probe them: same answers for known and
unknown e-mails, links used once, sessions refused once revoked."""

from __future__ import annotations

import statistics
import time
import uuid
from pathlib import Path

import httpx
import pyotp
import pytest

from ero.demo import DEMO_EMAIL
from tests.support.accounts import (
    Person,
    link_in,
    login,
    mails_to,
    new_email,
    operator,
    person,
    session_client,
    text_of,
    token_of,
)
from tests.support.pipeline import Pipeline, wait_until
from tests.support.receivers import SmtpServer

pytestmark = pytest.mark.pipeline


def post(pipeline: Pipeline, path: str, body: object, **headers: str) -> httpx.Response:
    return httpx.post(f"{pipeline.url}{path}", json=body, headers=headers, timeout=30)


def me(pipeline: Pipeline, token: str) -> httpx.Response:
    return httpx.get(
        f"{pipeline.url}/v1/auth/me", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


def codes(answer: httpx.Response) -> list[str]:
    return [entry["type"] for entry in answer.json()["detail"]]


def test_sign_up_create_a_password_sign_in_and_out(
    pipeline: Pipeline, smtp_server: SmtpServer
) -> None:
    email = new_email("signup")
    signed_up = post(pipeline, "/v1/auth/signup", {"email": email, "shop_name": "Boutique Dupont"})
    assert signed_up.status_code == 202
    link = link_in(smtp_server, email)
    message = mails_to(smtp_server, email)[-1]
    assert "Créez votre mot de passe" in str(message["Subject"])
    assert "12" in text_of(message)  # the e-mail states the format
    token = token_of(link)

    state = post(pipeline, "/v1/auth/link", {"token": token})
    assert state.status_code == 200
    assert state.json()["purpose"] == "create"
    assert state.json()["email"] == email

    weak = post(pipeline, "/v1/auth/password", {"token": token, "password": "motdepasse123"})
    assert weak.status_code == 422
    assert codes(weak) == ["password_guessable"]
    assert weak.json()["detail"][0]["ctx"]["fr"].startswith("Pas un mot de passe courant")
    shop = post(
        pipeline,
        "/v1/auth/password",
        {"token": token, "password": "ma boutiquedupont à moi vraiment"},
    )
    assert codes(shop) == ["password_has_shop_name"]
    short = post(pipeline, "/v1/auth/password", {"token": token, "password": "court"})
    assert codes(short) == ["password_too_short"]

    password = "les cerises de juillet sont mûres"
    assert (
        post(pipeline, "/v1/auth/password", {"token": token, "password": password}).status_code
        == 204
    )
    again = post(pipeline, "/v1/auth/password", {"token": token, "password": password + "!"})
    assert again.status_code == 410
    assert again.json()["detail"]["code"] == "link_gone"
    assert post(pipeline, "/v1/auth/link", {"token": token}).status_code == 410

    signed = login(pipeline, email, password)
    assert signed.status_code == 200, signed.text
    session = signed.json()
    assert session["session_token"].startswith("ers_")
    assert session["licences"] == []
    mine = me(pipeline, session["session_token"])
    assert mine.status_code == 200
    assert mine.json()["user"]["email"] == email
    assert mine.json()["user"]["shop_name"] == "Boutique Dupont"

    # No licence: every licence page answers « Vous ne possédez pas de licence ».
    dashboard = httpx.get(
        f"{pipeline.url}/v1/dashboard",
        headers={"Authorization": f"Bearer {session['session_token']}"},
        timeout=30,
    )
    assert dashboard.status_code == 403
    detail = dashboard.json()["detail"]
    assert detail["code"] == "no_licence"
    assert detail["fr"].startswith("Vous ne possédez pas de licence")
    assert detail["contact_url"].startswith("https://")

    out = post(pipeline, "/v1/auth/logout", {}, Authorization=f"Bearer {session['session_token']}")
    assert out.status_code == 204
    assert me(pipeline, session["session_token"]).status_code == 401


def _timed(call: object) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    answer = call()  # type: ignore[operator]
    return answer, time.perf_counter() - started


def test_known_and_unknown_e_mails_get_the_same_answers(
    pipeline: Pipeline, smtp_server: SmtpServer
) -> None:
    known = person(pipeline, smtp_server, None)
    unknown = new_email("nobody")
    for path in ("/v1/auth/signup", "/v1/auth/forgot"):
        a = post(pipeline, path, {"email": known.email})
        b = post(pipeline, path, {"email": unknown})
        assert (a.status_code, a.content) == (b.status_code, b.content) == (202, a.content)

    attempts: dict[str, list[float]] = {"known": [], "unknown": []}
    bodies = set()
    for _ in range(7):
        for kind, email in (("known", known.email), ("unknown", unknown)):
            answer, seconds = _timed(lambda e=email: login(pipeline, e, "pas le bon mot de passe"))
            assert answer.status_code == 401
            bodies.add(answer.content)
            attempts[kind].append(seconds)
    assert len(bodies) == 1, bodies
    assert b"invalid_credentials" in bodies.pop()
    # An unknown e-mail costs a hash check too: without it, it would answer ten times faster.
    known_s, unknown_s = (statistics.median(attempts[kind]) for kind in ("known", "unknown"))
    assert min(known_s, unknown_s) / max(known_s, unknown_s) > 0.5, attempts

    # What differs is only what the address's own mailbox reads.
    wait_until(
        lambda: any(
            "déjà un compte" in str(m["Subject"]) for m in mails_to(smtp_server, known.email)
        )
    )


def test_the_policy_is_listed_and_checked_as_one_types(pipeline: Pipeline) -> None:
    policy = httpx.get(f"{pipeline.url}/v1/auth/policy", timeout=30).json()
    assert (policy["min_chars"], policy["max_chars"]) == (12, 128)
    assert {rule["code"] for rule in policy["rules"]} >= {
        "password_too_short",
        "password_too_long",
        "password_guessable",
        "password_has_email",
        "password_has_shop_name",
    }

    def verdict(password: str) -> list[str]:
        answer = post(pipeline, "/v1/auth/password/check", {"password": password})
        assert answer.status_code == 200
        return [rule["code"] for rule in answer.json()["failed"]]

    assert verdict("abc") == ["password_too_short"]
    assert verdict("x" * 129) == ["password_too_long"]
    assert verdict("azertyuiop123") == ["password_guessable"]
    assert verdict("été à l’île de Ré, 2 vélos 🚲") == []  # spaces, accents, emoji
    assert verdict("a" * 128) == ["password_guessable"]


def test_a_reset_link_ends_every_session_and_the_old_password(
    pipeline: Pipeline, smtp_server: SmtpServer
) -> None:
    who = person(pipeline, smtp_server, None)
    second = login(pipeline, who.email, who.password).json()["session_token"]
    before = len(mails_to(smtp_server, who.email))
    assert post(pipeline, "/v1/auth/forgot", {"email": who.email}).status_code == 202
    link = link_in(smtp_server, who.email, before)
    assert "Réinitialisez" in str(mails_to(smtp_server, who.email)[-1]["Subject"])
    state = post(pipeline, "/v1/auth/link", {"token": token_of(link)}).json()
    assert state["purpose"] == "reset"
    new = "un tout nouveau mot de passe solide"
    done = post(pipeline, "/v1/auth/password", {"token": token_of(link), "password": new})
    assert done.status_code == 204
    for token in (who.session_token, second):
        assert me(pipeline, token).status_code == 401
    assert login(pipeline, who.email, who.password).status_code == 401
    assert login(pipeline, who.email, new).status_code == 200


def test_changing_the_password_ends_every_other_session(
    pipeline: Pipeline, smtp_server: SmtpServer
) -> None:
    who = person(pipeline, smtp_server, None)
    other = login(pipeline, who.email, who.password).json()["session_token"]
    new = "une autre phrase de passe robuste"
    wrong = post(
        pipeline,
        "/v1/auth/password/change",
        {"current_password": "pas celui-là du tout", "new_password": new},
        Authorization=f"Bearer {who.session_token}",
    )
    assert wrong.status_code == 422
    assert codes(wrong) == ["invalid_credentials"]
    changed = post(
        pipeline,
        "/v1/auth/password/change",
        {"current_password": who.password, "new_password": new},
        Authorization=f"Bearer {who.session_token}",
    )
    assert changed.status_code == 200, changed.text
    assert me(pipeline, changed.json()["session_token"]).status_code == 200
    assert me(pipeline, other).status_code == 401
    assert me(pipeline, who.session_token).status_code == 401
    assert any("modifié" in text_of(m) for m in mails_to(smtp_server, who.email))


def test_failed_sign_ins_slow_down_without_locking_the_merchant_out(
    pipeline: Pipeline, smtp_server: SmtpServer
) -> None:
    who = person(pipeline, smtp_server, None)  # signed in once, from the loopback address
    merchant = {"X-Forwarded-For": "192.0.2.10"}
    attacker = {"X-Forwarded-For": "198.51.100.66"}
    assert (
        post(
            pipeline, "/v1/auth/login", {"email": who.email, "password": who.password}, **merchant
        ).status_code
        == 200
    )

    answers = [
        post(pipeline, "/v1/auth/login", {"email": who.email, "password": f"faux {i}"}, **attacker)
        for i in range(11)
    ]
    assert [a.status_code for a in answers[:10]] == [401] * 10
    throttled = answers[10]
    assert throttled.status_code == 429
    assert throttled.json()["detail"]["code"] == "sign_in_throttled"
    # The account's window (15 minutes) ends 15 minutes after the first failure, just now.
    assert 15 * 60 - 60 <= int(throttled.headers["Retry-After"]) <= 15 * 60
    # Even the right password waits, from the attacker's address...
    right = post(
        pipeline, "/v1/auth/login", {"email": who.email, "password": who.password}, **attacker
    )
    assert right.status_code == 429
    # ...but the merchant, from an address that signed in before, is not locked out.
    mine = post(
        pipeline, "/v1/auth/login", {"email": who.email, "password": who.password}, **merchant
    )
    assert mine.status_code == 200
    # The owner was told, once.
    told = wait_until(
        lambda: [m for m in mails_to(smtp_server, who.email) if "198.51.100.66" in text_of(m)]
    )
    assert len(told) == 1


def test_a_second_factor_with_recovery_codes(pipeline: Pipeline, smtp_server: SmtpServer) -> None:
    who = person(pipeline, smtp_server, None)
    auth = {"Authorization": f"Bearer {who.session_token}"}
    setup = post(pipeline, "/v1/auth/totp/setup", {}, **auth)
    assert setup.status_code == 200
    secret = setup.json()["secret"]
    assert setup.json()["uri"].startswith("otpauth://totp/")
    assert setup.json()["qr_svg"].lstrip().startswith("<svg")
    assert post(pipeline, "/v1/auth/totp/enable", {"code": "000000"}, **auth).status_code == 400
    totp = pyotp.TOTP(secret)
    enabled = post(pipeline, "/v1/auth/totp/enable", {"code": totp.now()}, **auth)
    assert enabled.status_code == 200
    recovery = enabled.json()["recovery_codes"]
    assert len(recovery) == 10
    assert len(set(recovery)) == 10
    assert me(pipeline, who.session_token).json()["user"]["totp_enabled"] is True

    needed = login(pipeline, who.email, who.password)
    assert needed.status_code == 401
    assert needed.json()["detail"]["code"] == "totp_required"
    # The code that enabled it is spent; the next step's is accepted (a phone 30 s ahead).
    code = totp.at(time.time() + 30)
    assert login(pipeline, who.email, who.password, totp=code).status_code == 200
    replayed = login(pipeline, who.email, who.password, totp=code)
    assert replayed.status_code == 401
    assert replayed.json()["detail"]["code"] == "totp_invalid"

    assert login(pipeline, who.email, who.password, totp=recovery[0]).status_code == 200
    again = login(pipeline, who.email, who.password, totp=recovery[0])
    assert again.status_code == 401
    assert again.json()["detail"]["code"] == "totp_invalid"


@pytest.fixture(scope="module")
def two_licences(pipeline: Pipeline) -> tuple[str, str]:
    first = pipeline.create_licence(f"agence A {uuid.uuid4().hex[:6]}")
    second = pipeline.create_licence(f"agence B {uuid.uuid4().hex[:6]}")
    return first.licence_id, second.licence_id


def test_a_person_acts_in_the_licence_they_choose(
    pipeline: Pipeline, smtp_server: SmtpServer, two_licences: tuple[str, str]
) -> None:
    first, second = two_licences
    agency: Person = person(pipeline, smtp_server, first, "member")
    with session_client(pipeline, agency) as client:
        assert client.get("/v1/dashboard").status_code == 200  # the only licence held
    with operator(pipeline) as op:
        added = op.post(
            f"/v1/admin/licences/{second}/members", json={"email": agency.email, "role": "viewer"}
        )
        assert added.status_code == 201
    attached = wait_until(
        lambda: [m for m in mails_to(smtp_server, agency.email) if "agence B" in text_of(m)]
    )
    assert attached
    held = {
        h["licence_id"]: h["role"] for h in me(pipeline, agency.session_token).json()["licences"]
    }
    assert held == {first: "member", second: "viewer"}
    with session_client(pipeline, agency) as client:
        unnamed = client.get("/v1/dashboard")
        assert unnamed.status_code == 400
        assert unnamed.json()["detail"]["code"] == "licence_required"
    for licence in (first, second):
        with session_client(pipeline, agency, licence) as client:
            assert client.get("/v1/dashboard").status_code == 200
    stranger = pipeline.create_licence("not theirs")
    with session_client(pipeline, agency, stranger.licence_id) as client:
        refused = client.get("/v1/dashboard")
        assert refused.status_code == 403
        assert refused.json()["detail"]["code"] == "licence_not_held"


def test_sessions_end_when_idle_and_at_their_absolute_limit(
    tmp_path: Path, smtp_server: SmtpServer
) -> None:
    """A pipeline of its own with short limits: 3 s idle, 9 s absolute."""
    short = Pipeline(
        tmp_path / "short",
        ERO_SMTP_HOST=smtp_server.host,
        ERO_SMTP_PORT=str(smtp_server.port),
        ERO_SESSION_IDLE_MINUTES="0.05",
        ERO_SESSION_ABSOLUTE_HOURS="0.0025",
    )
    try:
        short.start()
        who = person(short, smtp_server, None)
        idle = login(short, who.email, who.password).json()["session_token"]
        used = who.session_token
        started = time.monotonic()
        while time.monotonic() - started < 5:  # used every half second: stays open
            assert me(short, used).status_code == 200
            time.sleep(0.5)
        ended = me(short, idle)
        assert ended.status_code == 401
        assert ended.json()["detail"]["code"] == "session_idle"

        def refused() -> httpx.Response | None:
            answer = me(short, used)
            return answer if answer.status_code == 401 else None

        expired = wait_until(refused, timeout=15, every=0.5)
        assert expired.json()["detail"]["code"] == "session_expired"
        assert time.monotonic() - started >= 9 - 5  # not before its absolute limit
        assert short.stop() == 0
    finally:
        short.ensure_stopped()


def test_a_newcomer_signs_up_as_the_demo_owner_and_sees_the_demo_licence(
    pipeline: Pipeline, smtp_server: SmtpServer
) -> None:
    """What `make run` prints: sign up as demo@ero.example, follow the link, sign in."""
    before = len(mails_to(smtp_server, DEMO_EMAIL))
    assert post(pipeline, "/v1/auth/signup", {"email": DEMO_EMAIL}).status_code == 202
    token = token_of(link_in(smtp_server, DEMO_EMAIL, before))
    password = "le tableau de bord de la démo"
    assert (
        post(pipeline, "/v1/auth/password", {"token": token, "password": password}).status_code
        == 204
    )
    session = login(pipeline, DEMO_EMAIL, password).json()
    demo = pipeline.demo_licence.licence_id
    assert [(h["licence_id"], h["role"]) for h in session["licences"]] == [(demo, "owner")]
    dashboard = httpx.get(
        f"{pipeline.url}/v1/dashboard",
        headers={"Authorization": f"Bearer {session['session_token']}"},
        timeout=30,
    )
    assert dashboard.status_code == 200
