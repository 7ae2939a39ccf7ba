"""A silent connector through the real pipeline and receiver: found from its learned rhythm
(and recovers), or from a fixed period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.support.alert_rules import Shop
from tests.support.factories import sync_line


def test_a_silent_connector_is_found_from_its_rhythm_and_recovers(shop_with: Any) -> None:
    shop: Shop = shop_with(silent_connector={"min_minutes": 5, "factor": 3})
    start = datetime.now(UTC) - timedelta(hours=3)
    runs = [start + timedelta(minutes=10 * n) for n in range(7)]  # every 10 min, until 2 h ago
    shop.send(*(sync_line(connector_id="caisse", occurred_at=at.isoformat()) for at in runs))
    assert shop.wait_told(1) == [("silent_connector", "firing")]
    [silent] = shop.hooks.bodies(shop.path)
    assert silent["connector_id"] == "caisse"
    assert "silencieux" in silent["summary_fr"]

    shop.send(sync_line(connector_id="caisse"))
    assert shop.wait_told(2) == [("silent_connector", "firing"), ("silent_connector", "resolved")]


def test_a_fixed_period_finds_a_connector_without_a_rhythm(shop_with: Any) -> None:
    shop: Shop = shop_with(silent_connector={"fixed_minutes": 30, "grace_minutes": 5})
    shop.send(
        sync_line(
            connector_id="neuf", occurred_at=(datetime.now(UTC) - timedelta(hours=1)).isoformat()
        )
    )
    assert shop.wait_told(1) == [("silent_connector", "firing")]
