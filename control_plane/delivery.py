"""Delivering a support ticket to the vendor: a webhook (JSON POST) and/or an e-mail (SMTP).

Delivery happens once, from the API, after the ticket is recorded; its outcome per channel is
recorded too (ticket.delivered), so a failed delivery is visible in the ticket's status.
"""

from __future__ import annotations

import asyncio
import smtplib
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from typing import Literal, Protocol

import httpx
import orjson
import structlog

from infra.mail import header_text
from schemas.control import DeliveryDoc, TicketDoc

log = structlog.get_logger(__name__)

TIMEOUT_SECONDS = 10.0


class TicketChannel(Protocol):
    @property
    def name(self) -> Literal["webhook", "email"]: ...

    async def deliver(self, ticket: TicketDoc) -> str:
        """Deliver or raise; returns what the receiver answered."""
        ...


class WebhookChannel:
    name: Literal["webhook"] = "webhook"

    def __init__(self, url: str) -> None:
        self._url = url

    async def deliver(self, ticket: TicketDoc) -> str:
        async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS) as client:
            response = await client.post(
                self._url,
                content=orjson.dumps(ticket.model_dump(mode="json")),
                headers={"Content-Type": "application/json"},
            )
        response.raise_for_status()
        return f"HTTP {response.status_code}"


def render_email(ticket: TicketDoc, sender: str, to: str) -> EmailMessage:
    # The SMTP policy: CRLF line ends, headers folded and RFC 2047-encoded as SMTP wants; it
    # raises on a header holding a line break, which header_text already removed.
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = header_text(sender)
    message["To"] = header_text(to)
    message["Reply-To"] = header_text(ticket.email)
    message["Subject"] = header_text(f"[ERO ticket {ticket.ticket_id}] {ticket.subject}")
    configuration = ticket.active_configuration
    lines = [
        ticket.message,
        "",
        f"E-mail: {ticket.email}",
        f"Shop URL: {ticket.shop_url or '-'}",
        f"Connector version: {ticket.agent.connector_version or '-'}",
        f"ERP version: {ticket.agent.erp_version or '-'}",
        f"Shop version: {ticket.agent.shop_version or '-'}",
        f"Active configuration: {configuration.name if configuration else '-'}",
        "",
        "Error groups (last 48 h):",
        *(f"  {g.count} x [{g.operation}/{g.origin}] {g.message}" for g in ticket.error_groups),
    ]
    message.set_content("\n".join(lines))
    message.add_attachment(
        orjson.dumps(ticket.model_dump(mode="json"), option=orjson.OPT_INDENT_2),
        maintype="application",
        subtype="json",
        filename=f"ticket-{ticket.ticket_id}.json",
    )
    return message


class EmailChannel:
    name: Literal["email"] = "email"

    def __init__(self, host: str, port: int, sender: str, to: str) -> None:
        self._host, self._port, self._sender, self._to = host, port, sender, to

    def _send(self, ticket: TicketDoc) -> str:
        with smtplib.SMTP(self._host, self._port, timeout=TIMEOUT_SECONDS) as smtp:
            smtp.send_message(render_email(ticket, self._sender, self._to))
        return f"sent to {self._to}"

    async def deliver(self, ticket: TicketDoc) -> str:
        return await asyncio.to_thread(self._send, ticket)


@dataclass(frozen=True)
class SupportDelivery:
    """Where support tickets go: a webhook, the vendor's mailbox, both, or nowhere."""

    webhook_url: str | None
    smtp_host: str | None
    smtp_port: int
    smtp_sender: str
    support_email: str | None

    def channels(self) -> list[TicketChannel]:
        found: list[TicketChannel] = []
        if self.webhook_url:
            found.append(WebhookChannel(self.webhook_url))
        if self.smtp_host and self.support_email:
            found.append(
                EmailChannel(self.smtp_host, self.smtp_port, self.smtp_sender, self.support_email)
            )
        return found


async def deliver(ticket: TicketDoc, to: list[TicketChannel]) -> list[DeliveryDoc]:
    outcomes = []
    for channel in to:
        try:
            detail = await channel.deliver(ticket)
            outcomes.append(DeliveryDoc(channel=channel.name, ok=True, detail=detail))
        except (httpx.HTTPError, OSError, smtplib.SMTPException) as exc:
            log.warning("ticket_delivery_failed", channel=channel.name, error=str(exc))
            outcomes.append(DeliveryDoc(channel=channel.name, ok=False, detail=str(exc)))
    return outcomes
