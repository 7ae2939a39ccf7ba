"""Sending e-mail: what a message is, and where it goes (an SMTP server, or the outbox).

The composition root picks the mailer from the settings (ERO_SMTP_*): callers only see Mailer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Mail:
    """One message, written in French then English in both its parts."""

    to: str
    subject: str
    text: str
    html: str


class Mailer(Protocol):
    async def send(self, mail: Mail) -> None:
        """Deliver or raise MailUnavailable (after the mailer's own bounded retries)."""
        ...


class MailUnavailable(Exception):
    """The message could not be handed over: the SMTP server refused or could not be reached."""
