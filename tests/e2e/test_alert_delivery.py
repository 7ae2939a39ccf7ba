"""A stuck order fires and resolves once imported; quiet hours and the hourly cap hold messages
back, through the real pipeline and receiver."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.support.alert_rules import Shop, error_line
from tests.support.factories import sync_line
from tests.support.pipeline import wait_until


def test_a_stuck_order_fires_and_resolves_once_imported(shop_with: Any) -> None:
    shop: Shop = shop_with(stuck_order={"hours": 1})
    tag = uuid.uuid4().hex[:6]
    stuck, retried = f"CMD-{tag}-1", f"CMD-{tag}-2"
    two_hours_ago = datetime.now(UTC) - timedelta(hours=2)
    shop.send(
        error_line(two_hours_ago, reference=stuck, operation="order.import"),
        error_line(two_hours_ago, reference=retried, operation="order.import"),
        sync_line(
            reference=retried, occurred_at=(two_hours_ago + timedelta(minutes=30)).isoformat()
        ),
    )
    assert shop.wait_told(1) == [("stuck_order", "firing")]
    [fired] = shop.hooks.bodies(shop.path)
    assert fired["subject"] == stuck
    shop.send(sync_line(reference=stuck, message=f"Commande {stuck} importée"))
    assert shop.wait_told(2) == [("stuck_order", "firing"), ("stuck_order", "resolved")]


def _pending(client: httpx.Client) -> list[str]:
    channels = client.get("/v1/alerts/channels").json()["channels"]
    history = client.get(f"/v1/alerts/channels/{channels[0]['id']}/deliveries").json()
    return [d["state"] for d in history["deliveries"]]


def test_quiet_hours_hold_messages_until_they_end(shop_with: Any) -> None:
    shop: Shop = shop_with(new_group={"enabled": True})
    now = datetime.now(UTC)
    quiet = {"quiet_start": f"{(now - timedelta(hours=1)):%H:%M}",
             "quiet_end": f"{(now + timedelta(hours=1)):%H:%M}", "timezone": "UTC"}  # fmt: skip
    assert shop.client.put("/v1/alerts/settings", json=quiet).status_code in (200, 202)
    shop.send(error_line(now))
    wait_until(lambda: True if shop.client.get("/v1/alerts").json()["alerts"] else None)
    assert wait_until(lambda: p if (p := _pending(shop.client)) else None) == ["pending"]
    assert shop.told() == []
    assert shop.client.put("/v1/alerts/settings", json={"timezone": "UTC"}).status_code in (
        200,
        202,
    )
    assert shop.wait_told(1) == [("new_group", "firing")]
    assert wait_until(lambda: p if (p := _pending(shop.client)) == ["delivered"] else None)


def test_never_more_messages_per_hour_than_the_cap(shop_with: Any) -> None:
    shop: Shop = shop_with(new_group={"enabled": True})
    assert shop.client.put("/v1/alerts/settings", json={"max_per_hour": 1}).status_code in (
        200,
        202,
    )
    shop.send(error_line(datetime.now(UTC)))
    assert shop.wait_told(1) == [("new_group", "firing")]
    shop.send(
        error_line(datetime.now(UTC), message="Le pays ZZ est inconnu de la gestion commerciale")
    )
    wait_until(lambda: True if len(_pending(shop.client)) == 2 else None)
    assert sorted(_pending(shop.client)) == ["delivered", "pending"]
    assert len(shop.told()) == 1
