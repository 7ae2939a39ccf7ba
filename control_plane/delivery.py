"""Delivering support tickets to the vendor, retried until delivered: a webhook (JSON POST)
and/or an e-mail to the support mailbox (infra/mail.py's mailer: the SMTP server as configured,
STARTTLS and login included, or else the outbox); and the support's answers and resolutions to
the merchant, e-mailed to the ticket's contact e-mail the same way (channel `merchant`, one
delivery per notice, control_plane/ticket_notices.py).

Every ticket lands in the support inbox (the console) whatever is configured; each configured
channel gets its delivery (entity ticket_delivery, one per ticket and channel) recorded
`pending` with the ticket. The delivery desk alone writes them afterwards: each pass (a timer of
one worker, the one consuming the tickets' partition of the control topic) reads the
outstanding ones from ClickHouse, so a restart finds them again, tries at most `per_pass` of
those due, and records each outcome: delivered, or failing with the error, the attempts, and
when to try again (exponential backoff, capped). A replay of the control topic projects the
same revisions again, a delivered one included: nothing is sent twice.
"""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import httpx
import orjson
import structlog

from control_plane.bus import ControlBus, new_event
from control_plane.store import Revision
from control_plane.ticket_notices import notice_mail
from control_plane.tickets import TicketStore
from infra.log_producer import LogUnavailable
from infra.mail import Mail, Mailer, MailUnavailable
from infra.retry import infrastructure_failure
from schemas.control import (
    DeliveryChannel,
    Entity,
    MerchantNotice,
    TicketDeliveryDoc,
    TicketDoc,
)

log = structlog.get_logger(__name__)

TIMEOUT_SECONDS = 10.0
FIRST_RETRY = timedelta(seconds=5)
LAST_RETRY = timedelta(minutes=15)
"""The backoff doubles from FIRST_RETRY after each failure, up to LAST_RETRY: never given up."""
ERROR_CHARS = 500


class TicketChannel(Protocol):
    @property
    def name(self) -> DeliveryChannel: ...

    async def deliver(self, ticket: TicketDoc, delivery: TicketDeliveryDoc) -> str:
        """Deliver or raise DeliveryFailed; returns what the receiver answered."""
        ...


class DeliveryFailed(Exception):
    """The receiver refused the ticket or could not be reached."""


class WebhookChannel:
    def __init__(self, url: str) -> None:
        self._url = url

    @property
    def name(self) -> DeliveryChannel:
        return "webhook"

    async def deliver(self, ticket: TicketDoc, delivery: TicketDeliveryDoc) -> str:
        try:
            async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS) as client:
                response = await client.post(
                    self._url,
                    content=orjson.dumps(ticket.model_dump(mode="json")),
                    headers={"Content-Type": "application/json"},
                )
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc
        return f"HTTP {response.status_code}"


def ticket_mail(ticket: TicketDoc, to: str) -> Mail:
    """The support mailbox's message. Its subject is one line whatever the ticket holds: the
    API refuses a subject with a line break, and infra/mail.py's render makes sure of it."""
    configuration = ticket.active_configuration
    lines = [
        ticket.message,
        "",
        f"Ticket: {ticket.number or ticket.ticket_id}",
        f"E-mail: {ticket.email}",
        f"Shop URL: {ticket.shop_url or '-'}",
        f"Phone: {ticket.phone or '-'}",
        f"Connector version: {ticket.agent.connector_version or '-'}",
        f"ERP version: {ticket.agent.erp_version or '-'}",
        f"Shop version: {ticket.agent.shop_version or '-'}",
        f"Active configuration: {configuration.name if configuration else '-'}",
        *(
            f"  connector {c.connector_id}: {c.name}"
            for c in ticket.active_configurations
            if c.connector_id
        ),
        "",
        "Error groups (last 48 h):",
        *(f"  {g.count} x [{g.operation}/{g.origin}] {g.message}" for g in ticket.error_groups),
    ]
    text = "\n".join(lines)
    return Mail(
        to=to,
        subject=f"[{ticket.number or 'ERO'}] {ticket.subject}",
        text=text,
        html=f"<pre>{html.escape(text)}</pre>",
        reply_to=ticket.email,
    )


class EmailChannel:
    def __init__(self, mailer: Mailer, to: str) -> None:
        self._mailer, self._to = mailer, to

    @property
    def name(self) -> DeliveryChannel:
        return "email"

    async def deliver(self, ticket: TicketDoc, delivery: TicketDeliveryDoc) -> str:
        return await send_mail(self._mailer, ticket_mail(ticket, self._to))


class MerchantChannel:
    """The support's answer, or the resolution, e-mailed to the ticket's contact e-mail."""

    def __init__(self, mailer: Mailer, public_url: str) -> None:
        self._mailer, self._public_url = mailer, public_url

    @property
    def name(self) -> DeliveryChannel:
        return "merchant"

    async def deliver(self, ticket: TicketDoc, delivery: TicketDeliveryDoc) -> str:
        notice = delivery.notice or "answered"
        return await send_mail(
            self._mailer, notice_mail(ticket, notice, delivery.message, self._public_url)
        )


async def send_mail(mailer: Mailer, mail: Mail) -> str:
    """Hand `mail` to the mailer; what to record as delivered, or DeliveryFailed."""
    try:
        await mailer.send(mail)
    except MailUnavailable as exc:
        raise DeliveryFailed(str(exc)) from exc
    return f"sent to {mail.to}"


@dataclass(frozen=True)
class SupportDelivery:
    """Where support tickets go beside the support inbox: a webhook, the vendor's mailbox
    (through the mailer: SMTP, or the outbox), both, or nowhere else."""

    webhook_url: str | None
    support_email: str | None
    public_url: str
    """Where merchants open the web interface: the base of the link to their ticket."""
    interval_seconds: float = 5.0
    """How often the desk looks for deliveries due."""
    per_pass: int = 20
    """Deliveries tried in one pass at most, so a pass is bounded whatever the backlog."""

    def channel_names(self) -> list[DeliveryChannel]:
        names: list[DeliveryChannel] = []
        if self.webhook_url:
            names.append("webhook")
        if self.support_email:
            names.append("email")
        return names

    def channels(self, mailer: Mailer) -> list[TicketChannel]:
        found: list[TicketChannel] = []
        if self.webhook_url:
            found.append(WebhookChannel(self.webhook_url))
        if self.support_email:
            found.append(EmailChannel(mailer, self.support_email))
        return [*found, MerchantChannel(mailer, self.public_url)]


def delivery_id(ticket_id: str, channel: str) -> str:
    return f"{ticket_id}:{channel}"


def pending_deliveries(
    ticket: TicketDoc, channels: Sequence[DeliveryChannel]
) -> list[TicketDeliveryDoc]:
    """A new ticket's deliveries, due at once."""
    return [
        TicketDeliveryDoc(
            ticket_id=ticket.ticket_id,
            channel=c,
            state="pending",
            next_attempt_at=ticket.created_at,
        )
        for c in channels
    ]


def merchant_notice(
    ticket: TicketDoc, notice: MerchantNotice, key: str, message: str | None = None
) -> tuple[str, TicketDeliveryDoc]:
    """A notice to the merchant, due at once, and its delivery's id (`key`: what it is about,
    a reply's id or the resolution's, so each notice is delivered once)."""
    now = datetime.now(UTC)
    doc = TicketDeliveryDoc(
        ticket_id=ticket.ticket_id,
        channel="merchant",
        notice=notice,
        message=message,
        state="pending",
        next_attempt_at=now,
    )
    return delivery_id(ticket.ticket_id, f"merchant:{notice}:{key}"), doc


def retry_wait(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failure in a row."""
    wait: timedelta = min(FIRST_RETRY * 2 ** (attempts - 1), LAST_RETRY)
    return wait


def after_attempt(
    delivery: TicketDeliveryDoc, now: datetime, detail: str | None, error: str | None
) -> TicketDeliveryDoc:
    attempts = delivery.attempts + 1
    if error is None:
        return delivery.model_copy(
            update={"state": "delivered", "attempts": attempts, "detail": detail,
                    "delivered_at": now, "next_attempt_at": now}
        )  # fmt: skip
    wait = retry_wait(attempts)
    return delivery.model_copy(
        update={"state": "failing", "attempts": attempts, "last_error": error[:ERROR_CHARS],
                "next_attempt_at": now + wait}
    )  # fmt: skip


@dataclass
class DeliveryDesk:
    """The one writer of deliveries after their creation (run by one worker at a time)."""

    bus: ControlBus
    tickets: TicketStore
    channels: list[TicketChannel]
    per_pass: int
    _written: dict[str, int] = field(default_factory=dict)
    """The revision this desk wrote of a delivery whose outcome is not yet visible: a pass never
    acts on an older row, so a delivered ticket is not sent again. Forgotten once visible."""

    async def run_pass(self) -> int:
        """Tries the deliveries due; returns how many were tried."""
        by_name = {channel.name: channel for channel in self.channels}
        now = datetime.now(UTC)
        tried = 0
        for licence_id, row in await self.tickets.outstanding(limit=self.per_pass * 5):
            if tried == self.per_pass:
                break
            delivery = row.doc(TicketDeliveryDoc)
            channel = by_name.get(delivery.channel)
            written = self._written.get(row.entity_id, 0)
            if row.revision >= written:
                self._written.pop(row.entity_id, None)
            stale = row.revision < written
            if channel is None or stale or delivery.next_attempt_at > now:
                continue
            ticket_row = await self.bus.store.one(licence_id, Entity.TICKET, delivery.ticket_id)
            if ticket_row is None:
                continue
            tried += 1
            await self._attempt(licence_id, row, delivery, ticket_row.doc(TicketDoc), channel)
        return tried

    async def _attempt(
        self,
        licence_id: str,
        row: Revision,
        delivery: TicketDeliveryDoc,
        ticket: TicketDoc,
        channel: TicketChannel,
    ) -> None:
        detail, error = None, None
        try:
            detail = await channel.deliver(ticket, delivery)
        except DeliveryFailed as exc:
            error = str(exc)
            log.warning(
                "ticket_delivery_failed", channel=channel.name, ticket=ticket.number, error=error
            )
        after = after_attempt(delivery, datetime.now(UTC), detail, error)
        event = new_event(
            licence_id=licence_id,
            kind="ticket.delivery_attempted",
            actor="system",
            entity=Entity.TICKET_DELIVERY,
            entity_id=row.entity_id,
            before=row,
            after=after,
            status=after.state,
        )
        try:
            visible = await self.bus.commit([event])
        except LogUnavailable:
            # Tried again at the next pass: a delivered ticket may then arrive twice.
            log.warning("ticket_delivery_not_recorded", ticket=ticket.number)
            return
        if not visible:
            self._written[row.entity_id] = event.revision


def register_pass(
    app: Any,
    name: str,
    interval_seconds: float,
    runs_here: Callable[[], bool],
    run_pass: Callable[[], Awaitable[object]],
    on_idle: Callable[[], None] = lambda: None,
) -> Any:
    """A desk's pass every `interval_seconds` while `runs_here()`: true on one worker of the
    fleet at a time (the root's choice: the one consuming the tickets' partition), which
    another takes over when it goes. `on_idle`: called when a pass does not run or fails, so
    that a desk keeping state in memory loads it again before its next pass."""

    async def one_pass() -> None:
        if not runs_here():
            on_idle()
            return
        try:
            await run_pass()
        except Exception as exc:
            # ClickHouse or the broker down: the next pass tries again. Anything else is a bug,
            # and stops the worker loudly rather than failing every pass for ever.
            if not infrastructure_failure(exc):
                raise
            on_idle()
            log.warning("desk_pass_failed", desk=name, error=str(exc))

    one_pass.__name__ = name.replace("-", "_")
    return app.timer(interval_seconds, name=name)(one_pass)
