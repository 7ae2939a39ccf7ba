"""Each rule through the real pipeline and a real HTTP receiver: an error spike fires once,
repeats after its interval and resolves once; a silent connector is found from its rhythm and
recovers; a stuck order fires and resolves when imported; quiet hours and the hourly cap hold
messages back."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from licences import Credentials
from tests.support.accounts import person, session_client
from tests.support.factories import sync_line
from tests.support.pipeline import Pipeline, wait_until
from tests.support.receivers import HookReceiver, SmtpServer

OFF = {"enabled": False}


@pytest.fixture(scope="module")
def hooks() -> Iterator[HookReceiver]:
    with HookReceiver().running() as receiver:
        yield receiver


class Shop:
    """A licence whose member set one webhook channel and the rules it is given; every other
    rule is off, so what the receiver gets is the rule under test's."""

    def __init__(
        self, pipeline: Pipeline, smtp: SmtpServer, hooks: HookReceiver, rules: dict[str, Any]
    ) -> None:
        self.pipeline, self.hooks = pipeline, hooks
        self.licence: Credentials = pipeline.create_licence(f"rules {uuid.uuid4().hex[:6]}")
        who = person(pipeline, smtp, self.licence.licence_id, "member")
        self.client = session_client(pipeline, who)
        for kind in ("new_group", "error_spike", "silent_connector", "stuck_order", "digest"):
            answer = self.client.put(f"/v1/alerts/rules/{kind}", json=rules.get(kind, OFF))
            assert answer.status_code in (200, 202), answer.text
        self.path = f"/{uuid.uuid4().hex}"
        created = self.client.post(
            "/v1/alerts/channels",
            json={"kind": "webhook", "name": "ERP", "url": hooks.url + self.path},
        )
        assert created.status_code == 201, created.text

    def send(self, *lines: dict[str, Any]) -> None:
        with self.pipeline.client(self.licence.connector_key) as connector:
            answer = connector.post("/v1/events", json=list(lines))
            assert answer.status_code == 202, answer.text
            assert answer.json()["accepted"] == len(lines)

    def told(self) -> list[tuple[str, str]]:
        return [(b["kind"], b["notification"]) for b in self.hooks.bodies(self.path)]

    def wait_told(self, count: int, timeout: float = 60) -> list[tuple[str, str]]:
        return wait_until(lambda: t if len(t := self.told()) >= count else None, timeout=timeout)


@pytest.fixture
def shop_with(pipeline: Pipeline, smtp_server: SmtpServer, hooks: HookReceiver) -> Iterator[Any]:
    made: list[Shop] = []

    def make(**rules: dict[str, Any]) -> Shop:
        made.append(Shop(pipeline, smtp_server, hooks, rules))
        return made[-1]

    yield make
    for shop in made:
        shop.client.close()


def _error(at: datetime, **extra: Any) -> dict[str, Any]:
    return sync_line(
        occurred_at=at.isoformat(), status="erreur",
        message=f"Article {uuid.uuid4().hex[:6]} absent de la gestion commerciale",
    ) | extra  # fmt: skip


def test_an_error_spike_fires_once_repeats_after_its_interval_and_resolves_once(
    shop_with: Any,
) -> None:
    rule = {"threshold": 3, "multiple": 1, "window_minutes": 2, "repeat_minutes": 1}
    shop: Shop = shop_with(error_spike=rule)
    now = datetime.now(UTC)
    shop.send(*(_error(now - timedelta(seconds=5), connector_id="boutique") for _ in range(4)))
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
    shop.send(*(_error(datetime.now(UTC), connector_id="calme") for _ in range(2)))
    assert shop.wait_told(1) == [("new_group", "firing")], "the desk did evaluate them"
    time.sleep(5)
    assert all(kind != "error_spike" for kind, _ in shop.told())


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


def test_a_stuck_order_fires_and_resolves_once_imported(shop_with: Any) -> None:
    shop: Shop = shop_with(stuck_order={"hours": 1})
    tag = uuid.uuid4().hex[:6]
    stuck, retried = f"CMD-{tag}-1", f"CMD-{tag}-2"
    two_hours_ago = datetime.now(UTC) - timedelta(hours=2)
    shop.send(
        _error(two_hours_ago, reference=stuck, operation="order.import"),
        _error(two_hours_ago, reference=retried, operation="order.import"),
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
    shop.send(_error(now))
    wait_until(lambda: True if shop.client.get("/v1/alerts").json()["alerts"] else None)
    assert wait_until(lambda: p if (p := _pending(shop.client)) else None) == ["pending"]
    assert shop.told() == []
    assert shop.client.put("/v1/alerts/settings", json={"timezone": "UTC"}).status_code in (
        200,
        202,
    )
    assert shop.wait_told(1) == [("new_group", "firing")]
    assert _pending(shop.client) == ["delivered"]


def test_never_more_messages_per_hour_than_the_cap(shop_with: Any) -> None:
    shop: Shop = shop_with(new_group={"enabled": True})
    assert shop.client.put("/v1/alerts/settings", json={"max_per_hour": 1}).status_code in (
        200,
        202,
    )
    shop.send(_error(datetime.now(UTC)))
    assert shop.wait_told(1) == [("new_group", "firing")]
    shop.send(_error(datetime.now(UTC), message="Le pays ZZ est inconnu de la gestion commerciale"))
    wait_until(lambda: True if len(_pending(shop.client)) == 2 else None)
    assert sorted(_pending(shop.client)) == ["delivered", "pending"]
    assert len(shop.told()) == 1
