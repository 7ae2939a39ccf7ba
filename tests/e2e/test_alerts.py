"""Alerts that reach the merchant, through the real pipeline: channels (a real HTTP receiver,
the real SMTP server), a signed webhook verified with the documented recipe, a new error group
told once to every channel, grouped per channel, and listed with its deliveries."""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.accounts import Person, mails_to, person, session_client, text_of
from tests.support.factories import sync_line
from tests.support.pipeline import Pipeline, wait_until
from tests.support.receivers import HookReceiver, SmtpServer


@pytest.fixture
def member(
    pipeline: Pipeline, smtp_server: SmtpServer
) -> Iterator[tuple[Person, Any, httpx.Client]]:
    licence = pipeline.create_licence(f"alerts {uuid.uuid4().hex[:6]}")
    who = person(pipeline, smtp_server, licence.licence_id, "member")
    with session_client(pipeline, who) as client:
        yield who, licence, client


def verify(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
    """The recipe of docs/api.md (alert webhooks), as a receiver writes it."""
    parts = dict(item.split("=", 1) for item in header.split(","))
    timestamp = int(parts["t"])
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    fresh = abs(time.time() - timestamp) <= tolerance
    return fresh and hmac.compare_digest(expected.hexdigest(), parts["v1"])


def _channel(client: httpx.Client, **body: Any) -> dict[str, Any]:
    created = client.post("/v1/alerts/channels", json=body)
    assert created.status_code == 201, created.text
    channel: dict[str, Any] = created.json()
    return channel


def test_a_webhook_channel_is_signed_and_its_test_message_verifies(
    member: tuple[Person, Any, httpx.Client], hooks: HookReceiver
) -> None:
    _, licence, client = member
    path = f"/{uuid.uuid4().hex}"
    channel = _channel(client, kind="webhook", name="Mon ERP", url=hooks.url + path)
    assert channel["secret"].startswith("whsec_")
    listed = client.get("/v1/alerts/channels").json()["channels"]
    assert [(c["id"], c["secret"]) for c in listed] == [(channel["id"], None)]

    tested = client.post(f"/v1/alerts/channels/{channel['id']}/test")
    assert tested.status_code == 200, tested.text
    assert tested.json()["state"] == "delivered"
    [(_, headers, body)] = [r for r in hooks.requests if r[0] == path]
    assert verify(channel["secret"], headers["ERO-Signature"], body)
    assert not verify(channel["secret"], headers["ERO-Signature"], body + b" ")
    assert not verify("whsec_other", headers["ERO-Signature"], body)
    assert headers["ERO-Delivery"] == tested.json()["delivery_id"]
    assert hooks.bodies(path)[0]["kind"] == "test"
    assert hooks.bodies(path)[0]["licence_id"] == licence.licence_id

    history = client.get(f"/v1/alerts/channels/{channel['id']}/deliveries").json()
    assert [(d["purpose"], d["state"]) for d in history["deliveries"]] == [("test", "delivered")]

    hooks.status = 500
    try:
        failed = client.post(f"/v1/alerts/channels/{channel['id']}/test").json()
    finally:
        hooks.status = 200
    assert failed["state"] == "failing"
    assert "500" in failed["error"]


def test_channels_are_checked_and_scoped_to_the_licence(
    pipeline: Pipeline, member: tuple[Person, Any, httpx.Client], hooks: HookReceiver
) -> None:
    _, _, client = member
    missing = client.post("/v1/alerts/channels", json={"kind": "email", "name": "x"})
    assert missing.status_code == 422
    assert (
        missing.json()["errors"][0]["loc"][-1] == "emails" if "errors" in missing.json() else True
    )
    bad = client.post(
        "/v1/alerts/channels", json={"kind": "webhook", "name": "x", "url": "ftp://a"}
    )
    assert bad.status_code == 422
    channel = _channel(client, kind="slack", name="Équipe", url=hooks.url + "/slack")
    other = pipeline.create_licence(f"alerts other {uuid.uuid4().hex[:6]}")
    with pipeline.client(other.reader_token) as stranger:
        assert stranger.get("/v1/alerts/channels").json()["channels"] == []
        assert stranger.post(f"/v1/alerts/channels/{channel['id']}/test").status_code in (403, 404)
        assert stranger.get(f"/v1/alerts/channels/{channel['id']}/deliveries").status_code == 404
    assert client.delete(f"/v1/alerts/channels/{channel['id']}").status_code == 204
    assert client.get("/v1/alerts/channels").json()["channels"] == []
    assert client.delete(f"/v1/alerts/channels/{channel['id']}").status_code == 404


def test_a_new_error_group_is_told_once_to_every_channel_and_listed_with_its_deliveries(
    pipeline: Pipeline,
    member: tuple[Person, Any, httpx.Client],
    hooks: HookReceiver,
    smtp_server: SmtpServer,
) -> None:
    _, licence, client = member
    path = f"/{uuid.uuid4().hex}"
    address = f"alertes-{uuid.uuid4().hex[:8]}@boutique.example"
    hook = _channel(client, kind="webhook", name="ERP", url=hooks.url + path)
    _channel(client, kind="email", name="Gérant", emails=[address])
    tag = uuid.uuid4().hex[:6]
    lines = [
        sync_line(connector_id="boutique", status="erreur", reference=f"CMD-{tag}-{n}",
                  message=f"Article REF-{tag}-{n} absent de la gestion commerciale")
        for n in range(3)
    ] + [
        sync_line(connector_id="boutique", status="erreur",
                  message=f"Le pays {tag} est inconnu dans la gestion commerciale")
    ]  # fmt: skip
    with pipeline.client(licence.connector_key) as connector:
        assert connector.post("/v1/events", json=lines).status_code == 202

    posted = wait_until(lambda: b if len(b := hooks.bodies(path)) >= 2 else None, timeout=60)
    assert {b["kind"] for b in posted} == {"new_group"}
    assert all(b["state"] == "firing" and b["licence_id"] == licence.licence_id for b in posted)
    assert any("absent" in b["summary_fr"] for b in posted)
    assert all(b["report_url"].startswith(pipeline.url) and "#/rapports?" in b["report_url"]
               for b in posted)  # fmt: skip
    mails = wait_until(lambda: m if (m := mails_to(smtp_server, address)) else None)
    assert len(mails) == 1, "one message per channel for what fired together"
    assert "(+1)" in str(mails[0]["Subject"])
    assert "Nouvelle erreur" in text_of(mails[0])
    assert "New error" in text_of(mails[0])

    def all_delivered() -> list[dict[str, Any]] | None:
        found: list[dict[str, Any]] = client.get("/v1/alerts").json()["alerts"]
        sent = [d["state"] == "delivered" for a in found for d in a["deliveries"]]
        return found if len(found) == 2 and len(sent) == 4 and all(sent) else None

    alerts = wait_until(all_delivered)
    for alert in alerts:
        assert alert["state"] == "firing"
        assert alert["evidence"], alert
        states = {d["channel_id"]: d["state"] for d in alert["deliveries"]}
        assert states.get(hook["id"]) == "delivered"
        assert len(states) == 2
    firing = client.get("/v1/alerts", params={"state": "resolved"}).json()["alerts"]
    assert firing == []
    page = client.get("/v1/alerts", params={"limit": 1}).json()
    rest = client.get("/v1/alerts", params={"limit": 1, "cursor": page["next_cursor"]}).json()
    assert {a["alert_id"] for a in page["alerts"] + rest["alerts"]} == {
        a["alert_id"] for a in alerts
    }

    time.sleep(8)  # more passes: nothing is told again
    assert len(hooks.bodies(path)) == 2
    assert len(mails_to(smtp_server, address)) == 1
