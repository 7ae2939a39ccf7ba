"""Sending e-mail: what a message is, and where it goes (an SMTP server, or the outbox).

The composition root picks the mailer from the settings (ERO_SMTP_*): callers only see Mailer.
Without an SMTP server, messages are written to the outbox (DATA_DIR/outbox), where `ero mail
list | show` reads them: a password link can then be followed on a machine that sends no mail.
"""

from __future__ import annotations

import asyncio
import builtins
import os
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from functools import partial
from pathlib import Path
from typing import Protocol

import aiosmtplib
import structlog
from pydantic import BaseModel, ConfigDict

from infra.retry import retry_transient

log = structlog.get_logger(__name__)

SEND_ATTEMPTS = 3
"""Tries of one message on a transient failure (backoff 0.5 s, then 1 s): a caller waits at
most a few seconds plus the timeouts, then tells the person to try again."""


@dataclass(frozen=True)
class Mail:
    """One message, written in French then English in both its parts."""

    to: str
    subject: str
    text: str
    html: str
    reply_to: str | None = None
    """Whom an answer goes to, when not the sender (a ticket: the merchant)."""


class Mailer(Protocol):
    async def send(self, mail: Mail) -> None:
        """Deliver or raise MailUnavailable (after the mailer's own bounded retries)."""
        ...


class MailUnavailable(Exception):
    """The message could not be handed over: the SMTP server refused or could not be reached."""


_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def header_text(value: str) -> str:
    """One line, whatever `value` holds: a CR or LF in a header would end it (and start another
    header, or the body); the API refuses them, this makes sure of it for any caller."""
    return " ".join(_CONTROL.sub(" ", value).split())


# --- SMTP ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    sender: str
    starttls: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 10.0
    """Seconds, for the connection and for each SMTP command."""


def render(mail: Mail, sender: str) -> EmailMessage:
    """The message as sent: multipart/alternative (text, then HTML: a client shows the last one
    it can), UTF-8, every header one line."""
    # The SMTP policy: CRLF line ends, headers folded and RFC 2047-encoded (the subjects are
    # French); it raises on a header holding a line break, which header_text already removed.
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = header_text(sender)
    message["To"] = header_text(mail.to)
    message["Subject"] = header_text(mail.subject)
    if mail.reply_to:
        message["Reply-To"] = header_text(mail.reply_to)
    message["Date"] = format_datetime(datetime.now(UTC))
    # The sender's domain, not the host's name: make_msgid would otherwise ask the resolver.
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    # Quoted-printable keeps every line 7-bit and short, for relays without 8BITMIME.
    message.set_content(mail.text, cte="quoted-printable")
    message.add_alternative(mail.html, subtype="html", cte="quoted-printable")
    return message


def smtp_transient(exc: BaseException) -> bool:
    """What may pass if tried again in a second: a 4xx answer, a refused or reset connection, a
    timeout. A 5xx answer, an unknown host or a refused address will not."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return all(smtp_transient(refused) for refused in exc.recipients)
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return 400 <= exc.code < 500
    if isinstance(exc, TimeoutError):
        return True
    # aiosmtplib wraps what the socket raised into SMTPConnectError (a ConnectionError).
    cause = exc.__cause__ if isinstance(exc, aiosmtplib.SMTPConnectError) else exc
    return isinstance(cause, ConnectionError)


def one_address(to: str) -> bool:
    """Whether `to` is one bare address, sent as written: aiosmtplib would make one mangled
    address of anything else (a line break, a space, a bracket, a second address)."""
    return (
        "@" in to
        and not any(char.isspace() or not char.isprintable() for char in to)
        and parseaddr(to)[1] == to
    )


class SmtpMailer:
    def __init__(self, config: SmtpConfig) -> None:
        self._config = config

    async def _hand_over(self, message: EmailMessage, to: str) -> None:
        c = self._config
        # start_tls as configured, not aiosmtplib's default (upgrade whenever the server offers
        # it): off, a relay's self-signed certificate cannot fail the delivery; on, a server
        # that does not offer it is refused. It logs in when a username is given.
        await aiosmtplib.send(
            message,
            sender=c.sender,
            recipients=[to],
            hostname=c.host,
            port=c.port,
            start_tls=c.starttls,
            username=c.username,
            password=c.password,
            timeout=c.timeout,
        )

    async def send(self, mail: Mail) -> None:
        c = self._config
        if not one_address(mail.to):
            raise MailUnavailable(f"{mail.to!r} is not one e-mail address")
        try:
            await retry_transient(
                partial(self._hand_over, render(mail, c.sender), mail.to),
                "mail_send",
                lambda: {"smtp": f"{c.host}:{c.port}"},
                transient=smtp_transient,
                attempts=SEND_ATTEMPTS,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise MailUnavailable(f"the SMTP server {c.host}:{c.port}: {exc}") from exc


# --- The outbox ----------------------------------------------------------------------------

_ID = re.compile(r"[0-9]{8}-[0-9]{6}-[0-9]{6}-[0-9a-f]{6}")
LISTED = 100


class OutboxEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    to: str
    subject: str
    text: str
    html: str
    sent_at: datetime


class NotInOutbox(KeyError):
    """No message of that id (an id of another shape cannot be one)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def _new_id(now: datetime) -> str:
    # Sorted by name is sorted by time, to the microsecond; the random tail keeps two
    # processes writing in the same microsecond apart.
    return f"{now:%Y%m%d-%H%M%S-%f}-{secrets.token_hex(3)}"


class Outbox:
    """A Mailer that keeps each message as DATA_DIR/outbox/<id>.json (mode 0600: a password
    link is a secret), the `keep` newest only."""

    def __init__(self, directory: Path, keep: int = 1000) -> None:
        if keep < 1:
            raise ValueError("an outbox keeps at least one message")
        self.directory = directory
        self._keep = keep

    def _ids(self) -> builtins.list[str]:
        """Oldest first."""
        try:
            names = os.listdir(self.directory)
        except FileNotFoundError:
            return []
        return sorted(
            name.removesuffix(".json")
            for name in names
            if name.endswith(".json") and _ID.fullmatch(name.removesuffix(".json"))
        )

    def _write(self, mail: Mail) -> OutboxEntry:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        now = datetime.now(UTC)
        entry = OutboxEntry(
            id=_new_id(now),
            to=mail.to,
            subject=mail.subject,
            text=mail.text,
            html=mail.html,
            sent_at=now,
        )
        # Written apart, then renamed: a reader never sees half a message.
        partial_path = self.directory / f".{entry.id}.tmp"
        fd = os.open(partial_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as file:
            file.write(entry.model_dump_json(indent=2).encode())
        os.replace(partial_path, self.directory / f"{entry.id}.json")
        for old in self._ids()[: -self._keep]:
            (self.directory / f"{old}.json").unlink(missing_ok=True)
        return entry

    async def send(self, mail: Mail) -> None:
        try:
            entry = await asyncio.to_thread(self._write, mail)
        except OSError as exc:
            raise MailUnavailable(f"the outbox {self.directory}: {exc}") from exc
        log.info("mail_written_to_outbox", id=entry.id, directory=str(self.directory))

    def read(self, id: str) -> OutboxEntry:
        """The message `id`; NotInOutbox (a KeyError) when there is none of that id."""
        # The id's shape is checked first: nothing but a name of this directory is opened.
        if not _ID.fullmatch(id):
            raise NotInOutbox(f"{id!r} is not an outbox message id")
        try:
            return OutboxEntry.model_validate_json((self.directory / f"{id}.json").read_bytes())
        except FileNotFoundError:
            raise NotInOutbox(f"no message {id} in the outbox {self.directory}") from None
        except ValueError:
            raise NotInOutbox(
                f"the message {id} of the outbox {self.directory} is unreadable"
            ) from None

    def list(self, limit: int = LISTED) -> builtins.list[OutboxEntry]:
        """The newest `limit` messages, newest first."""
        entries: builtins.list[OutboxEntry] = []
        for id in reversed(self._ids()):
            if len(entries) == limit:
                break
            try:
                entries.append(self.read(id))
            except NotInOutbox:  # removed since the listing (the bound), or unreadable
                continue
        return entries


@dataclass(frozen=True)
class MailConfig:
    smtp: SmtpConfig | None
    """None: no SMTP server, messages go to the outbox."""
    outbox_dir: Path


def mailer(config: MailConfig) -> Mailer:
    if config.smtp is not None:
        return SmtpMailer(config.smtp)
    return Outbox(config.outbox_dir)
