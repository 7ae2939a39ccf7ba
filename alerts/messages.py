"""What an alert message says, per channel kind: a webhook's JSON (one alert per POST, signed as
Stripe signs its events), a Slack-compatible `{"text"}` and a bilingual e-mail (both grouping
every alert of one delivery).

The signature: header `ERO-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>`, the HMAC keyed
with the channel's secret over `<t>.<raw body>`. A receiver recomputes it over the bytes it
received, compares in constant time and refuses a `t` too far from its clock (replays).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from datetime import datetime
from urllib.parse import urlsplit

import orjson

from infra.mail import Mail
from infra.mail_layout import Bullets, Button, Version, bilingual_mail, date_en, date_fr
from schemas.alerts import AlertDoc, Notification

SIGNATURE_HEADER = "ERO-Signature"
DELIVERY_HEADER = "ERO-Delivery"

_NOTIFIED_FR: dict[Notification, str] = {
    "firing": "Nouvelle alerte",
    "repeat": "Toujours en cours",
    "resolved": "Résolue",
}
_NOTIFIED_EN: dict[Notification, str] = {
    "firing": "New alert",
    "repeat": "Still firing",
    "resolved": "Resolved",
}


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The ERO-Signature header's value for `body` sent at `timestamp` (unix seconds)."""
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def absolute(public_url: str, report_url: str) -> str:
    """An alert's report as a link into the web interface (`report_url` is the API's query)."""
    query = urlsplit(report_url).query
    return f"{public_url.rstrip('/')}/#/rapports{'?' + query if query else ''}"


def webhook_body(
    alert: AlertDoc,
    notification: Notification,
    licence_id: str,
    delivery_id: str,
    public_url: str,
    sent_at: datetime,
) -> bytes:
    return orjson.dumps(
        {
            "alert_id": alert.alert_id,
            "kind": alert.kind,
            "state": alert.state,
            "notification": notification,
            "licence_id": licence_id,
            "connector_id": alert.connector_id,
            "subject": alert.subject,
            "summary_fr": alert.summary_fr,
            "summary_en": alert.summary_en,
            "report_url": absolute(public_url, alert.report_url),
            "fired_at": alert.fired_at,
            "resolved_at": alert.resolved_at,
            "evidence": [e.model_dump(mode="json") for e in alert.evidence],
            "delivery_id": delivery_id,
            "sent_at": sent_at,
        }
    )


def test_body(licence_id: str, delivery_id: str, sent_at: datetime) -> bytes:
    return orjson.dumps(
        {
            "alert_id": None,
            "kind": "test",
            "state": "firing",
            "notification": "firing",
            "licence_id": licence_id,
            "connector_id": None,
            "summary_fr": "Message de test : ce canal reçoit bien les alertes.",
            "summary_en": "Test message: this channel receives the alerts.",
            "delivery_id": delivery_id,
            "sent_at": sent_at,
        }
    )


def _line_fr(alert: AlertDoc, notification: Notification) -> str:
    return f"{_NOTIFIED_FR[notification]} : {alert.summary_fr}"


def _line_en(alert: AlertDoc, notification: Notification) -> str:
    return f"{_NOTIFIED_EN[notification]}: {alert.summary_en}"


def _slack(text: str) -> str:
    """Slack reads &, < and > as markup: a connector's message is shown as written."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_body(items: Sequence[tuple[AlertDoc, Notification]], public_url: str) -> bytes:
    lines = [
        f"• {_slack(_line_fr(a, n))} / {_slack(_line_en(a, n))} "
        f"<{absolute(public_url, a.report_url)}|rapport>"
        for a, n in items
    ]
    return orjson.dumps({"text": "\n".join(["E-Connecteur Cloud", *lines])})


def slack_test_body() -> bytes:
    return orjson.dumps({"text": "E-Connecteur Cloud : message de test / test message."})


def alert_mail(to: str, items: Sequence[tuple[AlertDoc, Notification]], public_url: str) -> Mail:
    """One e-mail for every alert of the delivery, grouped."""
    first, notification = items[0]
    more = len(items) - 1
    subject_fr = f"{_NOTIFIED_FR[notification]} : {first.summary_fr}"
    subject_en = f"{_NOTIFIED_EN[notification]}: {first.summary_en}"
    if more:
        subject_fr += f" (+{more})"
        subject_en += f" (+{more})"
    fr = Version(
        "fr",
        "Bonjour,",
        (
            Bullets(tuple(f"{_line_fr(a, n)} ({date_fr(a.fired_at)})" for a, n in items)),
            Button("Voir le rapport", absolute(public_url, first.report_url)),
            Button("Gérer les alertes", f"{public_url.rstrip('/')}/#/surveillance"),
        ),
        "L’équipe E-Connecteur Cloud",
    )
    en = Version(
        "en",
        "Hello,",
        (
            Bullets(tuple(f"{_line_en(a, n)} ({date_en(a.fired_at)})" for a, n in items)),
            Button("See the report", absolute(public_url, first.report_url)),
            Button("Manage alerts", f"{public_url.rstrip('/')}/#/surveillance"),
        ),
        "The E-Connecteur Cloud team",
    )
    return bilingual_mail(to, subject_fr, subject_en, fr, en)


def test_mail(to: str, public_url: str) -> Mail:
    page = f"{public_url.rstrip('/')}/#/surveillance"
    return bilingual_mail(
        to,
        "Message de test des alertes",
        "Alerts test message",
        Version(
            "fr",
            "Bonjour,",
            ("Ce canal reçoit bien les alertes.", Button("Gérer les alertes", page)),
            "L’équipe E-Connecteur Cloud",
        ),
        Version(
            "en",
            "Hello,",
            ("This channel receives the alerts.", Button("Manage alerts", page)),
            "The E-Connecteur Cloud team",
        ),
    )
