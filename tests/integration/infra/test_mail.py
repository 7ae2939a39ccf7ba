"""SmtpMailer against a real SMTP server on loopback: what arrives (both parts, UTF-8, one-line
headers), what is tried again (a refused connection, a 4xx) and what is not (a 5xx), STARTTLS
with a checked certificate, and the login."""

from __future__ import annotations

import asyncio
import time
from email.message import EmailMessage
from email.utils import parsedate_to_datetime

import pytest
from structlog.testing import capture_logs

from infra.mail import Mail, MailUnavailable, SmtpConfig, SmtpMailer
from tests.support.receivers import CERTIFICATE, SmtpServer, tls_context

LINK = "https://ero.example/#/mot-de-passe?jeton=Zx-9_a=b&c"
MAIL = Mail(
    to="marchande@boutique.example",
    subject="Créez votre mot de passe E-Connecteur Cloud / Create your password",
    text=f"Bonjour Hélène,\n\nCréer mon mot de passe :\n{LINK}\n\nHello Hélène,\n",
    html=f'<p>Bonjour Hélène,</p><a href="{LINK.replace("&", "&amp;")}">Créer</a>',
)


def _mailer(server: SmtpServer, **config: object) -> SmtpMailer:
    settings: dict[str, object] = {
        "host": server.host,
        "port": server.port,
        "sender": "ero@vendor.example",
        "timeout": 5.0,
    }
    return SmtpMailer(SmtpConfig(**(settings | config)))  # type: ignore[arg-type]


def _parts(message: EmailMessage) -> dict[str, str]:
    parts = {}
    for part in message.iter_parts():
        assert isinstance(part, EmailMessage)
        assert part.get_content_charset() == "utf-8"
        parts[part.get_content_type()] = part.get_content()
    return parts


async def test_a_message_arrives_with_its_two_parts_in_utf8() -> None:
    with SmtpServer().running() as server:
        await _mailer(server).send(MAIL)
    [received] = server.messages
    assert received.get_content_type() == "multipart/alternative"
    assert received["Subject"] == MAIL.subject
    assert (received["From"], received["To"]) == ("ero@vendor.example", MAIL.to)
    parts = _parts(received)
    assert list(parts) == ["text/plain", "text/html"]
    assert parts["text/plain"].replace("\r\n", "\n") == MAIL.text
    assert f"\n{LINK}\n" in parts["text/plain"].replace("\r\n", "\n")
    assert parts["text/html"].rstrip() == MAIL.html
    assert received["Message-ID"].endswith("@vendor.example>")
    assert abs(time.time() - parsedate_to_datetime(received["Date"]).timestamp()) < 60


async def test_a_line_break_in_a_header_cannot_add_a_header() -> None:
    hostile = Mail(
        to=MAIL.to,
        subject="Bonjour\r\nX-Injected: yes\r\nBcc: everyone@example.com\r\n\r\nfaux corps",
        text=MAIL.text,
        html=MAIL.html,
    )
    with SmtpServer().running() as server:
        await _mailer(server).send(hostile)
    [received] = server.messages
    assert received["X-Injected"] is None
    assert received["Bcc"] is None
    assert received["Subject"] == "Bonjour X-Injected: yes Bcc: everyone@example.com faux corps"
    assert _parts(received)["text/plain"].replace("\r\n", "\n") == MAIL.text


@pytest.mark.parametrize(
    "to",
    [
        "marchande@boutique.example\r\nRCPT TO:<everyone@example.com>",
        "marchande@boutique.example>everyone@example.com",
        "marchande@boutique.example, everyone@example.com",
    ],
)
async def test_an_address_that_is_not_one_address_is_refused(to: str) -> None:
    refused = pytest.raises(MailUnavailable, match="is not one e-mail address")
    with SmtpServer().running() as server, refused:
        await _mailer(server).send(Mail(to, MAIL.subject, MAIL.text, MAIL.html))
    assert server.attempts == 0


async def test_a_refused_connection_is_tried_again() -> None:
    server = SmtpServer()  # not listening yet: the first try is refused
    with capture_logs() as logs:
        sending = asyncio.create_task(_mailer(server).send(MAIL))
        while not any(entry["event"] == "mail_send_failed" for entry in logs):
            assert not sending.done(), sending
            await asyncio.sleep(0.01)
        with server.running():
            await asyncio.wait_for(sending, 10)
    assert [entry["event"] for entry in logs] == ["mail_send_failed"]
    assert [message["Subject"] for message in server.messages] == [MAIL.subject]


async def test_a_4xx_answer_is_tried_again() -> None:
    with SmtpServer(answers=["451 4.3.0 Try again later"]).running() as server:
        await _mailer(server).send(MAIL)
    assert server.attempts == 2
    assert len(server.messages) == 1


async def test_a_transient_failure_is_tried_three_times_then_raised() -> None:
    server = SmtpServer(answers=["451 4.3.0 Try again later"] * 3)
    with server.running(), pytest.raises(MailUnavailable, match="451"):
        await _mailer(server).send(MAIL)
    assert server.attempts == 3
    assert server.messages == []


async def test_a_5xx_answer_is_raised_at_once() -> None:
    server = SmtpServer(answers=["554 5.7.1 Message rejected"])
    with server.running(), pytest.raises(MailUnavailable, match="554"):
        await _mailer(server).send(MAIL)
    assert server.attempts == 1
    assert server.messages == []


async def test_starttls_then_login(monkeypatch: pytest.MonkeyPatch) -> None:
    """The server requires STARTTLS, then a login; the client trusts only the suite's
    certificate, so the handshake checks it for real."""
    monkeypatch.setenv("SSL_CERT_FILE", str(CERTIFICATE))
    login = ("ero", "mot de passe long & sûr")
    with SmtpServer(tls=tls_context(), login=login).running() as server:
        tls = {"starttls": True, "username": login[0]}
        await _mailer(server, **tls, password=login[1]).send(MAIL)
        assert len(server.messages) == 1
        with pytest.raises(MailUnavailable, match="535"):
            await _mailer(server, **tls, password="wrong").send(MAIL)
        with pytest.raises(MailUnavailable, match="STARTTLS"):
            await _mailer(server, username=login[0], password=login[1]).send(MAIL)
    assert len(server.messages) == 1


async def test_starttls_refuses_a_certificate_it_does_not_trust() -> None:
    with SmtpServer(tls=tls_context()).running() as server, pytest.raises(MailUnavailable):
        await _mailer(server, starttls=True).send(MAIL)
    assert server.messages == []
