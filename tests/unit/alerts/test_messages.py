"""What an alert's messages say: the webhook signature, the report link, the grouped e-mail and
the Slack text."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

import orjson

from alerts.messages import absolute, alert_mail, signature, slack_body
from schemas.alerts import AlertDoc, Notification

PUBLIC = "https://ero.example.com/"
AT = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def alert(n: int) -> AlertDoc:
    return AlertDoc(
        alert_id=f"a{n}",
        kind="error_spike",
        state="firing",
        connector_id=f"c{n}",
        summary_fr=f"Pic d’erreurs {n}",
        summary_en=f"Error spike {n}",
        report_url=f"/v1/reports?connector_id=c{n}&level=error",
        fired_at=AT,
        notified_at=AT,
    )


def test_the_signature_is_an_hmac_sha256_over_the_timestamp_and_body() -> None:
    body = b'{"alert_id":"a1"}'
    expected = hmac.new(b"s3cret", b"1764669600." + body, hashlib.sha256).hexdigest()
    assert signature("s3cret", 1764669600, body) == f"t=1764669600,v1={expected}"


def test_the_signature_changes_with_the_body_the_secret_and_the_time() -> None:
    base = signature("s3cret", 1, b"body")
    assert signature("s3cret", 1, b"body!") != base
    assert signature("other", 1, b"body") != base
    assert signature("s3cret", 2, b"body").split(",v1=")[1] != base.split(",v1=")[1]


def test_a_report_links_into_the_web_interface() -> None:
    url = absolute(PUBLIC, "/v1/reports?connector_id=c1&level=error")
    assert url == "https://ero.example.com/#/rapports?connector_id=c1&level=error"
    assert absolute("https://ero.example.com", "/v1/reports") == (
        "https://ero.example.com/#/rapports"
    )


def test_one_mail_carries_every_alert_and_counts_the_others_in_its_subject() -> None:
    items: list[tuple[AlertDoc, Notification]] = [
        (alert(1), "firing"),
        (alert(2), "repeat"),
        (alert(3), "resolved"),
    ]
    mail = alert_mail("ops@example.com", items, PUBLIC)
    assert mail.to == "ops@example.com"
    assert mail.subject == "Nouvelle alerte : Pic d’erreurs 1 (+2) / New alert: Error spike 1 (+2)"
    for n in (1, 2, 3):
        assert f"Pic d’erreurs {n}" in mail.text
        assert f"Error spike {n}" in mail.text
    assert "Résolue : Pic d’erreurs 3" in mail.text
    assert "https://ero.example.com/#/rapports?connector_id=c1&level=error" in mail.text


def test_a_single_alerts_subject_counts_nothing_more() -> None:
    mail = alert_mail("ops@example.com", [(alert(1), "firing")], PUBLIC)
    assert "(+" not in mail.subject


def test_the_slack_text_lists_each_alert_with_its_link() -> None:
    items: list[tuple[AlertDoc, Notification]] = [(alert(1), "firing"), (alert(2), "resolved")]
    payload = orjson.loads(slack_body(items, PUBLIC))
    assert list(payload) == ["text"]
    lines = payload["text"].split("\n")
    assert len(lines) == 3  # a title, then one line per alert
    assert "Nouvelle alerte : Pic d’erreurs 1 / New alert: Error spike 1" in lines[1]
    assert "<https://ero.example.com/#/rapports?connector_id=c1&level=error|rapport>" in lines[1]
    assert "Résolue : Pic d’erreurs 2 / Resolved: Error spike 2" in lines[2]
