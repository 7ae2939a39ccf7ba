"""An error spike through the real pipeline and receiver: it fires once, repeats after its
interval and resolves once; below its threshold nothing fires."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.support.alert_rules import Shop, error_line
from tests.support.pipeline import wait_until


def test_an_error_spike_fires_once_repeats_after_its_interval_and_resolves_once(
    shop_with: Any,
) -> None:
    rule = {"threshold": 3, "multiple": 1, "window_minutes": 2, "repeat_minutes": 1}
    shop: Shop = shop_with(error_spike=rule)
    now = datetime.now(UTC)
    shop.send(*(error_line(now - timedelta(seconds=5), connector_id="boutique") for _ in range(4)))
    assert shop.wait_told(1) == [("error_spike", "firing")]
    [fired] = shop.hooks.bodies(shop.path)
    assert fired["connector_id"] == "boutique"
    assert "4 erreurs" in fired["summary_fr"]
    assert shop.wait_told(2, timeout=90) == [("error_spike", "firing"), ("error_spike", "repeat")]
    told = shop.wait_told(3, timeout=90)
    assert told == [
        ("error_spike", "firing"), ("error_spike", "repeat"), ("error_spike", "resolved"),
    ]  # fmt: skip
    resolved = wait_until(
        lambda: shop.client.get("/v1/alerts", params={"state": "resolved"}).json()["alerts"]
    )
    assert [a["kind"] for a in resolved] == ["error_spike"]
    assert shop.client.get("/v1/alerts", params={"state": "firing"}).json()["alerts"] == []
    assert len({b["alert_id"] for b in shop.hooks.bodies(shop.path)}) == 1


def test_below_the_threshold_or_the_usual_rate_nothing_fires(shop_with: Any) -> None:
    shop: Shop = shop_with(error_spike={"threshold": 5, "multiple": 1, "window_minutes": 5},
                           new_group={"enabled": True})  # fmt: skip
    shop.send(*(error_line(datetime.now(UTC), connector_id="calme") for _ in range(2)))
    assert shop.wait_told(1) == [("new_group", "firing")], "the desk did evaluate them"
    time.sleep(5)
    assert all(kind != "error_spike" for kind, _ in shop.told())
