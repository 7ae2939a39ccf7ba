"""The outbox keeps what would have been sent, bounded and private, and opens nothing but its
own files; SMTP failures are told apart (tried again, or not); the settings pick the mailer."""

from __future__ import annotations

import socket
import stat
from pathlib import Path

import aiosmtplib
import pytest

from infra.mail import (
    Mail,
    MailConfig,
    MailUnavailable,
    NotInOutbox,
    Outbox,
    SmtpConfig,
    SmtpMailer,
    mailer,
    smtp_transient,
)


def _mail(n: int) -> Mail:
    return Mail(
        to=f"marchand{n}@boutique.example",
        subject=f"Créez votre mot de passe n°{n} / Create your password",
        text=f"Bonjour,\nhttps://ero.example/#/mot-de-passe?jeton=t{n}\n",
        html=f'<a href="https://ero.example/#/mot-de-passe?jeton=t{n}">Créer</a>',
    )


async def test_a_message_is_written_then_read_back_whole(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox")
    await outbox.send(_mail(1))
    [entry] = outbox.list()
    assert outbox.read(entry.id) == entry
    assert (entry.to, entry.subject, entry.text, entry.html) == (
        "marchand1@boutique.example",
        "Créez votre mot de passe n°1 / Create your password",
        "Bonjour,\nhttps://ero.example/#/mot-de-passe?jeton=t1\n",
        '<a href="https://ero.example/#/mot-de-passe?jeton=t1">Créer</a>',
    )
    assert entry.sent_at.tzinfo is not None
    assert ":" not in entry.id


async def test_the_outbox_is_private(tmp_path: Path) -> None:
    """A password link is a secret: only the owner of the process reads it."""
    outbox = Outbox(tmp_path / "outbox")
    await outbox.send(_mail(1))
    [entry] = outbox.list()
    assert stat.S_IMODE((tmp_path / "outbox" / f"{entry.id}.json").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "outbox").stat().st_mode) == 0o700
    assert [path.name for path in (tmp_path / "outbox").iterdir()] == [f"{entry.id}.json"]


async def test_the_outbox_keeps_the_newest_and_lists_them_first(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox", keep=3)
    for n in range(5):
        await outbox.send(_mail(n))
    listed = outbox.list()
    assert [entry.to for entry in listed] == [f"marchand{n}@boutique.example" for n in (4, 3, 2)]
    assert len(list((tmp_path / "outbox").glob("*.json"))) == 3
    assert [entry.to for entry in outbox.list(limit=2)] == [
        "marchand4@boutique.example",
        "marchand3@boutique.example",
    ]
    ids = [entry.id for entry in listed]
    assert ids == sorted(ids, reverse=True), "ids sort as the messages were written"
    assert len(set(ids)) == 3


def test_an_outbox_never_written_lists_nothing(tmp_path: Path) -> None:
    assert Outbox(tmp_path / "none").list() == []


@pytest.mark.parametrize(
    "bad_id",
    [
        "../../etc/passwd",
        "20261202-015959-000000-3f2a1c/../../secret",
        "20261202-015959-000000-3f2a1c\n",
        "20261202-015959-000000-3F2A1C",
        "",
        ".20261202-015959-000000-3f2a1c.tmp",
    ],
)
async def test_an_id_of_another_shape_opens_no_file(tmp_path: Path, bad_id: str) -> None:
    (tmp_path / "secret.json").write_text('{"to": "x"}')
    outbox = Outbox(tmp_path / "outbox")
    await outbox.send(_mail(1))
    with pytest.raises(NotInOutbox, match="is not an outbox message id"):
        outbox.read(bad_id)


async def test_an_unknown_id_is_a_key_error(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox")
    await outbox.send(_mail(1))
    with pytest.raises(KeyError, match="no message 20261202-015959-000000-3f2a1c in the outbox"):
        outbox.read("20261202-015959-000000-3f2a1c")


async def test_an_unreadable_file_is_skipped_by_the_listing(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox")
    await outbox.send(_mail(1))
    (tmp_path / "outbox" / "29991231-235959-999999-ffffff.json").write_text("{not json")
    assert [entry.to for entry in outbox.list()] == ["marchand1@boutique.example"]
    with pytest.raises(NotInOutbox, match="unreadable"):
        outbox.read("29991231-235959-999999-ffffff")


async def test_an_outbox_that_cannot_be_written_is_mail_unavailable(tmp_path: Path) -> None:
    (tmp_path / "outbox").write_text("a file where the directory should be")
    with pytest.raises(MailUnavailable, match="outbox"):
        await Outbox(tmp_path / "outbox").send(_mail(1))


def _connect_error(cause: BaseException) -> aiosmtplib.SMTPConnectError:
    try:
        try:
            raise cause
        except OSError as exc:
            raise aiosmtplib.SMTPConnectError("cannot connect") from exc
    except aiosmtplib.SMTPConnectError as wrapped:
        return wrapped


def test_what_smtp_failure_is_worth_a_second_try() -> None:
    assert smtp_transient(aiosmtplib.SMTPResponseException(451, "try again later"))
    assert smtp_transient(aiosmtplib.SMTPConnectResponseError(421, "too busy"))
    assert smtp_transient(_connect_error(ConnectionRefusedError()))
    assert smtp_transient(_connect_error(ConnectionResetError()))
    assert smtp_transient(aiosmtplib.SMTPServerDisconnected("connection lost"))
    assert smtp_transient(aiosmtplib.SMTPReadTimeoutError("timed out"))
    assert not smtp_transient(aiosmtplib.SMTPResponseException(554, "rejected"))
    assert not smtp_transient(aiosmtplib.SMTPAuthenticationError(535, "bad credentials"))
    assert not smtp_transient(_connect_error(socket.gaierror(-2, "Name or service not known")))
    assert not smtp_transient(aiosmtplib.SMTPNotSupported("STARTTLS not supported"))
    refused = [
        aiosmtplib.SMTPRecipientRefused(450, "mailbox busy", "a@example.com"),
        aiosmtplib.SMTPRecipientRefused(550, "no such user", "b@example.com"),
    ]
    assert smtp_transient(aiosmtplib.SMTPRecipientsRefused(refused[:1]))
    assert not smtp_transient(aiosmtplib.SMTPRecipientsRefused(refused))


def test_the_mailer_is_smtp_when_a_host_is_set(tmp_path: Path) -> None:
    smtp = SmtpConfig("mail.example", 587, "ero@vendor.example", starttls=True)
    assert isinstance(mailer(MailConfig(smtp, tmp_path)), SmtpMailer)
    outbox = mailer(MailConfig(None, tmp_path / "outbox"))
    assert isinstance(outbox, Outbox)
    assert outbox.directory == tmp_path / "outbox"


def test_the_smtp_password_stays_out_of_reprs() -> None:
    config = SmtpConfig("mail.example", 587, "ero@vendor.example", username="ero", password="pw!")
    assert "pw!" not in repr(config)
