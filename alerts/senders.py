"""Sending one delivery to its channel: a signed POST per alert to a webhook, one grouped
Slack-compatible POST, one grouped e-mail per address. Each send either returns what the
receiver answered or raises DeliveryFailed (the desk records it and retries with backoff)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from alerts.messages import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    alert_mail,
    signature,
    slack_body,
    slack_test_body,
    test_body,
    test_mail,
    webhook_body,
)
from control_plane.delivery import TIMEOUT_SECONDS, DeliveryFailed, send_mail
from infra.mail import Mailer
from schemas.alerts import AlertDeliveryDoc, AlertDoc, ChannelDoc, Notification

Items = Sequence[tuple[AlertDoc, Notification]]


@dataclass(frozen=True)
class Senders:
    mailer: Mailer
    public_url: str

    async def send(
        self, licence_id: str, channel: ChannelDoc, delivery: AlertDeliveryDoc, items: Items
    ) -> str:
        """Send `items` (none: a test message) to `channel`."""
        if channel.kind == "email":
            return await self._mail(channel, items)
        if channel.kind == "slack":
            body = slack_body(items, self.public_url) if items else slack_test_body()
            return await self._post(channel, delivery, body)
        now = datetime.now(UTC)
        if not items:
            return await self._post(
                channel, delivery, test_body(licence_id, delivery.delivery_id, now)
            )
        answers = [
            await self._post(
                channel,
                delivery,
                webhook_body(
                    alert, notification, licence_id, delivery.delivery_id, self.public_url, now
                ),
            )
            for alert, notification in items
        ]
        return ", ".join(answers)

    async def _mail(self, channel: ChannelDoc, items: Items) -> str:
        sent = []
        for to in channel.emails:
            mail = (
                alert_mail(to, items, self.public_url) if items else test_mail(to, self.public_url)
            )
            sent.append(await send_mail(self.mailer, mail))
        return "; ".join(sent)

    async def _post(self, channel: ChannelDoc, delivery: AlertDeliveryDoc, body: bytes) -> str:
        assert channel.url is not None, "a webhook or Slack channel has its URL"
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "ERO-Alerts/1",
            DELIVERY_HEADER: delivery.delivery_id,
        }
        if channel.secret:
            headers[SIGNATURE_HEADER] = signature(channel.secret, int(time.time()), body)
        try:
            async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS) as client:
                response = await client.post(channel.url, content=body, headers=headers)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc
        return f"HTTP {response.status_code}"
