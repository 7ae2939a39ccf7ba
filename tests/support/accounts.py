"""People for tests, made the way a merchant is: through the real e-mails and links."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from email.message import EmailMessage

import httpx

from tests.support.pipeline import Pipeline, wait_until
from tests.support.receivers import SmtpServer

LINK = re.compile(r"https?://\S+?#/mot-de-passe\?jeton=([A-Za-z0-9_-]+)")
PASSWORD = "une phrase de passe assez longue"


@dataclass(frozen=True)
class Person:
    email: str
    password: str
    session_token: str
    user_id: str


def new_email(tag: str = "p") -> str:
    return f"{tag}-{uuid.uuid4().hex[:12]}@boutique.example"


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert isinstance(part, EmailMessage), message
    return str(part.get_content())


def mails_to(smtp: SmtpServer, to: str) -> list[EmailMessage]:
    return [m for m in list(smtp.messages) if to.lower() in str(m["To"]).lower()]


def link_in(smtp: SmtpServer, to: str, after: int = 0) -> str:
    """The password link of the newest e-mail to `to`, waiting for one past the first `after`."""

    def found() -> str | None:
        for message in reversed(mails_to(smtp, to)[after:]):
            match = LINK.search(text_of(message))
            if match:
                return match.group(0)
        return None

    return wait_until(found, timeout=30)


def token_of(link: str) -> str:
    match = LINK.search(link)
    assert match, link
    return match.group(1)


def operator(pipeline: Pipeline) -> httpx.Client:
    token = (pipeline.data_dir / "operator.token").read_text().strip()
    return pipeline.client(token)


def login(pipeline: Pipeline, email: str, password: str, **extra: str) -> httpx.Response:
    return httpx.post(
        f"{pipeline.url}/v1/auth/login",
        json={"email": email, "password": password, **extra},
        timeout=30,
    )


def person(
    pipeline: Pipeline,
    smtp: SmtpServer,
    licence_id: str | None,
    role: str = "owner",
    *,
    email: str | None = None,
    password: str | None = None,
) -> Person:
    """An account with a password, holding `licence_id` with `role` (None: no licence)."""
    email = email or new_email()
    password = password or f"{PASSWORD} {uuid.uuid4().hex[:6]}"
    before = len(mails_to(smtp, email))
    if licence_id is None:
        answer = httpx.post(f"{pipeline.url}/v1/auth/signup", json={"email": email}, timeout=30)
    else:
        with operator(pipeline) as client:
            answer = client.post(
                f"/v1/admin/licences/{licence_id}/members", json={"email": email, "role": role}
            )
    assert answer.status_code in (201, 202), answer.text
    token = token_of(link_in(smtp, email, before))
    created = httpx.post(
        f"{pipeline.url}/v1/auth/password",
        json={"token": token, "password": password},
        timeout=30,
    )
    assert created.status_code == 204, created.text
    signed = login(pipeline, email, password)
    assert signed.status_code == 200, signed.text
    session_token = signed.json()["session_token"]
    me = httpx.get(
        f"{pipeline.url}/v1/auth/me",
        headers={"Authorization": f"Bearer {session_token}"},
        timeout=30,
    )
    assert me.status_code == 200, me.text
    return Person(email, password, session_token, me.json()["user"]["user_id"])


def session_client(pipeline: Pipeline, who: Person, licence_id: str | None = None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {who.session_token}"}
    if licence_id is not None:
        headers["X-ERO-Licence"] = licence_id
    return httpx.Client(base_url=pipeline.url, headers=headers, timeout=30)


def operator_person(pipeline: Pipeline, smtp: SmtpServer) -> Person:
    """An account with a password and the operator role (POST /v1/admin/operators), holding no
    licence: one of the vendor's support team."""
    who = person(pipeline, smtp, None)
    with operator(pipeline) as client:
        made = client.post("/v1/admin/operators", json={"email": who.email})
    assert made.status_code == 201, made.text
    return who
