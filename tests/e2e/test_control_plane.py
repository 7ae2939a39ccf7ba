"""The control plane through the real broker and ClickHouse: every change is a command on the
control topic, projected, and visible to the very next call."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from infra.broker import free_port
from licences import Credentials
from tests.support.pipeline import Pipeline, wait_until
from tests.support.receivers import SmtpServer, WebhookReceiver

pytestmark = pytest.mark.pipeline

NO_LICENCE_FR = "Vous ne possédez pas de licence"
CONFIG = {"erp": "sage100", "shop": "prestashop", "schedule_minutes": 15}


class Shop:
    """One licence seen from its dashboard (reader) and its connector."""

    def __init__(self, pipeline: Pipeline, name: str) -> None:
        self.licence: Credentials = pipeline.create_licence(name)
        self.reader = pipeline.client(self.licence.reader_token)
        self.connector = pipeline.client(self.licence.connector_key)

    def sync(self, pc_key: str = "PC-0001-AAAA", **extra: Any) -> httpx.Response:
        return self.connector.post("/v1/agent/sync", json={"pc_key": pc_key, **extra})

    def actions(self, *statuses: str) -> list[dict[str, Any]]:
        response = self.reader.get("/v1/actions", params={"status": list(statuses)})
        assert response.status_code == 200, response.text
        found: list[dict[str, Any]] = response.json()
        return found

    def close(self) -> None:
        self.reader.close()
        self.connector.close()


@pytest.fixture
def shop(pipeline: Pipeline) -> Iterator[Shop]:
    created = Shop(pipeline, f"shop {uuid.uuid4().hex[:6]}")
    yield created
    created.close()


@pytest.fixture
def operator(pipeline: Pipeline) -> Iterator[httpx.Client]:
    token = (pipeline.data_dir / "operator.token").read_text().strip()
    with pipeline.client(token) as client:
        yield client


def test_enqueue_sync_dispatch_result_done(shop: Shop) -> None:
    first = shop.reader.post("/v1/actions", json={"action": "clear_cache"})
    assert first.status_code == 201, first.text
    cache = first.json()
    assert (cache["status"], cache["label_fr"]) == ("pending", "Effacer le cache E-Connecteur")

    again = shop.reader.post("/v1/actions", json={"action": "clear_cache"})
    assert again.status_code == 409
    assert again.json()["detail"]["pending_action_id"] == cache["action_id"]

    missing = shop.reader.post("/v1/actions", json={"action": "reimport_order"})
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["body", "order_reference"]
    order = shop.reader.post(
        "/v1/actions", json={"action": "reimport_order", "order_reference": "000146"}
    ).json()
    assert order["label_fr"] == "Réimporter une commande"
    other_order = shop.reader.post(
        "/v1/actions", json={"action": "reimport_order", "order_reference": "000147"}
    )
    assert other_order.status_code == 201  # same action, other parameters: not a duplicate
    cancelled = shop.reader.post(f"/v1/actions/{other_order.json()['action_id']}/cancel")
    assert cancelled.json()["status"] == "cancelled"
    assert {a["action_id"] for a in shop.actions("pending")} == {
        cache["action_id"],
        order["action_id"],
    }

    handshake = shop.sync()
    assert handshake.status_code == 200, handshake.text
    sent = {a["action_id"]: a for a in handshake.json()["actions"]}
    assert set(sent) == {cache["action_id"], order["action_id"]}
    assert sent[order["action_id"]]["order_reference"] == "000146"
    assert {a["action_id"] for a in shop.actions("dispatched")} == set(sent)
    assert shop.sync().json()["actions"] == []  # dispatched once, never twice

    ok = shop.connector.post(
        f"/v1/agent/actions/{cache['action_id']}/result",
        json={"success": True, "output": "cache vidé (412 fichiers)"},
    )
    assert ok.status_code == 200, ok.text
    failed = shop.connector.post(
        f"/v1/agent/actions/{order['action_id']}/result",
        json={"success": False, "output": "commande introuvable dans PrestaShop"},
    )
    assert failed.json()["status"] == "failed"
    done = {a["action_id"]: a for a in shop.actions("succeeded", "failed")}
    assert done[cache["action_id"]]["output"] == "cache vidé (412 fichiers)"
    assert done[order["action_id"]]["status"] == "failed"
    assert done[order["action_id"]]["finished_at"]

    twice = shop.connector.post(
        f"/v1/agent/actions/{cache['action_id']}/result", json={"success": True}
    )
    assert twice.status_code == 409
    assert "succeeded" in twice.json()["detail"]["en"]
    unknown = shop.connector.post(f"/v1/agent/actions/{uuid.uuid4()}/result", json={"success": 1})
    assert unknown.status_code == 404
    # Done, so the same action may be queued again.
    assert shop.reader.post("/v1/actions", json={"action": "clear_cache"}).status_code == 201


def test_an_action_not_fetched_in_time_expires_visibly(shop: Shop) -> None:
    late = shop.reader.post(
        "/v1/actions", json={"action": "diagnose_vat", "expires_in_seconds": 1}
    ).json()
    wait_until(lambda: [a["status"] for a in shop.actions()] == ["expired"], timeout=10)
    assert shop.sync().json()["actions"] == []
    audit = shop.reader.get("/v1/audit", params={"entity": "action"}).json()["items"]
    assert [(e["kind"], e["entity_id"]) for e in audit][:2] == [
        ("action.expired", late["action_id"]),
        ("action.enqueued", late["action_id"]),
    ]
    assert audit[0]["before"]["status"] == "pending"
    assert audit[0]["after"]["status"] == "expired"
    # An expired action is no longer pending: queueing it again is allowed.
    assert shop.reader.post("/v1/actions", json={"action": "diagnose_vat"}).status_code == 201


def test_pc_key_binds_on_first_sync_refuses_another_pc_until_reset(shop: Shop) -> None:
    assert shop.reader.get("/v1/pc-key").json()["bound"] is False
    assert shop.sync("PC-FIRST-0001").status_code == 200
    assert shop.reader.get("/v1/pc-key").json()["bound"] is True
    assert shop.sync("PC-FIRST-0001").status_code == 200

    other = shop.sync("PC-SECOND-0002")
    assert other.status_code == 409
    assert "Réinitialisez la clé PC" in other.json()["detail"]["fr"]
    assert "Reset the PC key" in other.json()["detail"]["en"]

    assert shop.reader.post("/v1/pc-key/reset").json()["bound"] is False
    assert shop.sync("PC-SECOND-0002").status_code == 200
    assert shop.sync("PC-FIRST-0001").status_code == 409
    kinds = [e["kind"] for e in shop.reader.get("/v1/audit?entity=pc_key").json()["items"]]
    assert kinds == ["pc_key.bound", "pc_key.reset", "pc_key.bound"]


def test_an_inactive_licence_is_refused_everywhere_until_reactivated(
    pipeline: Pipeline, shop: Shop, operator: httpx.Client
) -> None:
    assert shop.sync().status_code == 200
    done = pipeline.ero("licence", "set-status", shop.licence.licence_id, "expired")
    assert done.returncode == 0, done.stderr
    for response in (
        shop.sync(),
        shop.reader.get("/v1/actions"),
        shop.reader.get("/v1/reports"),
        shop.connector.post("/v1/events", json=[]),
    ):
        assert response.status_code == 403
        assert NO_LICENCE_FR in response.json()["detail"]["fr"]
        assert "You do not have a licence" in response.json()["detail"]["en"]

    revived = operator.post(
        f"/v1/admin/licences/{shop.licence.licence_id}/status", json={"status": "active"}
    )
    assert revived.status_code == 200
    assert shop.sync().status_code == 200
    audit = operator.get(f"/v1/admin/licences/{shop.licence.licence_id}/audit").json()["items"]
    statuses = [
        (e["before"]["status"], e["after"]["status"])
        for e in audit
        if e["kind"] == "licence.status_set"
    ]
    assert statuses == [("expired", "active"), ("active", "expired")]

    unknown = operator.post(f"/v1/admin/licences/{uuid.uuid4()}/status", json={"status": "revoked"})
    assert unknown.status_code == 404
    bad = operator.post(
        f"/v1/admin/licences/{shop.licence.licence_id}/status", json={"status": "paused"}
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "status"]


def _member_token(pipeline: Pipeline, shop: Shop, name: str) -> httpx.Client:
    created = shop.reader.post("/v1/keys", json={"kind": "token", "name": name, "role": "member"})
    assert created.status_code == 201, created.text
    return pipeline.client(created.json()["key"])


def test_configurations_versions_diff_and_the_one_a_sync_fetches(
    pipeline: Pipeline, shop: Shop
) -> None:
    assert shop.sync().json()["configuration"] is None
    with _member_token(pipeline, shop, "import script") as script:
        created = script.post(
            "/v1/configurations", json={"name": "Sage + Presta", "document": CONFIG}
        )
    assert created.status_code == 201, created.text
    config_id = created.json()["configuration_id"]
    assert created.json()["version"] == 1

    changed = {**CONFIG, "schedule_minutes": 30, "orders": {"import_statuses": ["paid"]}}
    updated = shop.reader.put(
        f"/v1/configurations/{config_id}", json={"name": "Sage + Presta", "document": changed}
    )
    assert updated.json()["version"] == 2
    versions = shop.reader.get(f"/v1/configurations/{config_id}/versions").json()
    assert [(v["version"], v["updated_by"]) for v in versions] == [
        (1, "reader:import script"),
        (2, "reader"),
    ]
    diff = shop.reader.get(
        f"/v1/configurations/{config_id}/diff", params={"from_version": 1, "to_version": 2}
    ).json()
    assert {c["path"]: (c["before"], c["after"]) for c in diff["changes"]} == {
        "/document/schedule_minutes": (15, 30),
        "/document/orders/import_statuses": ([], ["paid"]),
    }
    no_version = shop.reader.get(
        f"/v1/configurations/{config_id}/diff", params={"from_version": 1, "to_version": 9}
    )
    assert no_version.status_code == 422
    assert no_version.json()["detail"][0]["loc"] == ["query", "to_version"]

    activated = shop.reader.post(f"/v1/configurations/{config_id}/activate")
    assert activated.json()["active"] is True
    fetched = shop.sync().json()["configuration"]
    assert (fetched["configuration_id"], fetched["version"]) == (config_id, 2)
    assert fetched["document"]["schedule_minutes"] == 30

    invalid = shop.reader.post(
        "/v1/configurations",
        json={"name": "typo", "document": {**CONFIG, "erp": "sap", "shedule": 5}},
    )
    assert invalid.status_code == 422
    assert {tuple(e["loc"]) for e in invalid.json()["detail"]} == {
        ("body", "document", "erp"),
        ("body", "document", "shedule"),
    }

    assert shop.reader.delete(f"/v1/configurations/{config_id}").json()["deleted"] is True
    assert shop.reader.get("/v1/configurations").json() == []
    assert shop.reader.get(f"/v1/configurations/{config_id}").status_code == 404
    assert shop.sync().json()["configuration"] is None
    history = shop.reader.get(f"/v1/configurations/{config_id}/versions").json()
    assert [v["deleted"] for v in history] == [False, False, True]


def test_each_connector_loads_its_own_active_configuration_else_the_one_for_all(
    shop: Shop,
) -> None:
    def create(name: str, connector_id: str | None, minutes: int) -> str:
        created = shop.reader.post(
            "/v1/configurations",
            json={
                "name": name,
                "connector_id": connector_id,
                "document": {**CONFIG, "schedule_minutes": minutes},
            },
        )
        assert created.status_code == 201, created.text
        assert created.json()["connector_id"] == connector_id
        return str(created.json()["configuration_id"])

    def loaded(connector_id: str | None) -> tuple[str, int] | None:
        answer = shop.sync(**({"connector_id": connector_id} if connector_id else {}))
        assert answer.status_code == 200, answer.text
        found = answer.json()["configuration"]
        return (found["configuration_id"], found["document"]["schedule_minutes"]) if found else None

    every = create("Toutes", None, 60)
    north, north_night = create("Nord", "shop-north", 20), create("Nord nuit", "shop-north", 240)
    south = create("Sud", "shop-south", 30)
    for configuration_id in (every, north, south):
        activated = shop.reader.post(f"/v1/configurations/{configuration_id}/activate")
        assert activated.json()["active"] is True
    assert loaded("shop-north") == (north, 20)
    assert loaded("shop-south") == (south, 30)
    assert loaded("shop-west") == (every, 60)  # no configuration of its own
    assert loaded(None) == (every, 60)  # a connector that does not say which it is

    shop.reader.post(f"/v1/configurations/{north_night}/activate")
    active = {c["configuration_id"] for c in shop.reader.get("/v1/configurations").json()
              if c["active"]}  # fmt: skip
    assert active == {every, north_night, south}  # one per connector
    assert loaded("shop-north") == (north_night, 240)

    moved = shop.reader.put(
        f"/v1/configurations/{south}",
        json={"name": "Sud", "connector_id": "shop-east", "document": CONFIG},
    )
    assert moved.json()["active"] is False  # activated for shop-south, not for shop-east
    assert loaded("shop-south") == (every, 60)
    assert shop.reader.delete(f"/v1/configurations/{every}").status_code == 200
    assert loaded("shop-west") is None

    refused = shop.reader.post(
        "/v1/configurations",
        json={"name": "x", "connector_id": "  ", "document": CONFIG},
    )
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "connector_id"]


def test_a_restored_version_becomes_the_newest_and_the_history_keeps_all(shop: Shop) -> None:
    config_id = shop.reader.post(
        "/v1/configurations", json={"name": "v1", "connector_id": "shop-1", "document": CONFIG}
    ).json()["configuration_id"]
    shop.reader.put(
        f"/v1/configurations/{config_id}",
        json={"name": "v2", "connector_id": "shop-1", "document": {**CONFIG, "safety_mode": False}},
    )
    shop.reader.post(f"/v1/configurations/{config_id}/activate")

    restored = shop.reader.post(f"/v1/configurations/{config_id}/versions/1/restore")
    assert restored.status_code == 200, restored.text
    assert (restored.json()["version"], restored.json()["name"]) == (3, "v1")
    assert restored.json()["connector_id"] == "shop-1"
    assert restored.json()["document"]["safety_mode"] is True
    versions = shop.reader.get(f"/v1/configurations/{config_id}/versions").json()
    assert [(v["version"], v["name"]) for v in versions] == [(1, "v1"), (2, "v2"), (3, "v1")]
    page = shop.reader.get(f"/v1/configurations/{config_id}/versions", params={"limit": 2})
    assert [(v["version"], v["active"]) for v in page.json()] == [(2, False), (3, True)]
    older = shop.reader.get(
        f"/v1/configurations/{config_id}/versions", params={"limit": 2, "before": 2}
    )
    assert [v["version"] for v in older.json()] == [1]
    diff = shop.reader.get(
        f"/v1/configurations/{config_id}/diff", params={"from_version": 2, "to_version": 3}
    ).json()["changes"]
    assert {(c["label_fr"], c["label_en"], c["before"], c["after"]) for c in diff} == {
        ("Nom", "Name", "v2", "v1"),
        ("Mode de sécurité", "Safety mode", False, True),
    }
    fetched = shop.sync(connector_id="shop-1").json()["configuration"]
    assert (fetched["version"], fetched["document"]["safety_mode"]) == (3, True)

    missing = shop.reader.post(f"/v1/configurations/{config_id}/versions/9/restore")
    assert missing.status_code == 404
    assert missing.json()["detail"]["code"] == "version_not_found"
    unknown = shop.reader.post(f"/v1/configurations/{uuid.uuid4()}/versions/1/restore")
    assert unknown.status_code == 404


def test_one_licence_never_sees_or_touches_anothers_control_state(
    pipeline: Pipeline, shop: Shop, operator: httpx.Client
) -> None:
    config_id = shop.reader.post(
        "/v1/configurations", json={"name": "mine", "document": CONFIG}
    ).json()["configuration_id"]
    action_id = shop.reader.post("/v1/actions", json={"action": "clear_cache"}).json()["action_id"]
    shop.reader.put("/v1/account", json={"email": "a@shop-a.example"})
    assert shop.reader.post("/v1/tickets", json={"subject": "s", "message": "m"}).status_code == 201
    operator.post(
        "/v1/admin/notifications",
        json={"title": "for A", "body": "only A", "licence_ids": [shop.licence.licence_id]},
    )

    other = Shop(pipeline, "other shop")
    try:
        assert other.reader.get(f"/v1/configurations/{config_id}").status_code == 404
        assert (
            other.reader.put(
                f"/v1/configurations/{config_id}", json={"name": "x", "document": CONFIG}
            ).status_code
            == 404
        )
        assert other.reader.post(f"/v1/configurations/{config_id}/activate").status_code == 404
        assert other.reader.post(f"/v1/actions/{action_id}/cancel").status_code == 404
        assert (
            other.connector.post(
                f"/v1/agent/actions/{action_id}/result", json={"success": True}
            ).status_code
            == 404
        )
        assert other.sync().json()["actions"] == []
        assert other.reader.get("/v1/actions").json() == []
        assert other.reader.get("/v1/configurations").json() == []
        assert other.reader.get("/v1/tickets").json()["items"] == []
        assert other.reader.get("/v1/account").json() == {
            "email": None,
            "shop_url": None,
            "phone": None,
        }
        assert all(
            n["title"] != "for A" for n in other.reader.get("/v1/notifications").json()["items"]
        )
        audit = other.reader.get("/v1/audit").json()["items"]
        assert {e["entity"] for e in audit} <= {"pc_key", "agent", "licence"}  # its creation
        # A's action is still pending and A's connector gets it.
        assert [a["action_id"] for a in shop.sync().json()["actions"]] == [action_id]
    finally:
        other.close()


def test_notifications_to_all_or_some_with_unread_count(
    pipeline: Pipeline, shop: Shop, operator: httpx.Client
) -> None:
    other = Shop(pipeline, "notified shop")
    try:
        to_all = operator.post(
            "/v1/admin/notifications", json={"title": "Maintenance", "body": "Dimanche 2 h"}
        ).json()
        only_shop = operator.post(
            "/v1/admin/notifications",
            json={"title": "Votre licence", "body": "…", "licence_ids": [shop.licence.licence_id]},
        ).json()
        mine = shop.reader.get("/v1/notifications").json()
        ids = [n["notification_id"] for n in mine["items"]]
        assert to_all["notification_id"] in ids
        assert only_shop["notification_id"] in ids
        assert mine["unread"] == len(ids)
        theirs = other.reader.get("/v1/notifications").json()
        assert only_shop["notification_id"] not in [n["notification_id"] for n in theirs["items"]]

        after = shop.reader.post(f"/v1/notifications/{to_all['notification_id']}/read").json()
        assert after["unread"] == mine["unread"] - 1
        assert other.reader.get("/v1/notifications").json()["unread"] == theirs["unread"]
        refused = other.reader.post(f"/v1/notifications/{only_shop['notification_id']}/read")
        assert refused.status_code == 404

        unknown = operator.post(
            "/v1/admin/notifications", json={"title": "t", "body": "b", "licence_ids": ["nope"]}
        )
        assert unknown.status_code == 422
        assert unknown.json()["detail"][0]["loc"] == ["body", "licence_ids"]
    finally:
        other.close()


def _error_line(corpus_path: Path) -> dict[str, Any]:
    for line in corpus_path.read_text().splitlines():
        row: dict[str, Any] = orjson.loads(line)
        if row["expected"]["level"] == "error":
            return row
    raise AssertionError("the corpus has no error line")


def test_ticket_is_prefilled_and_delivered_by_email_and_webhook(
    pipeline: Pipeline,
    shop: Shop,
    corpus_path: Path,
    smtp_server: SmtpServer,
    webhook_receiver: WebhookReceiver,
) -> None:
    error = _error_line(corpus_path)
    event_id = str(uuid.uuid4())
    line = {
        "event_id": event_id,
        "connector_id": "shop-t",
        "occurred_at": datetime.now(UTC).isoformat(),
        "operation": error["operation"],
        "status": error["status"],
        "message": error["message"],
    }
    assert shop.connector.post("/v1/events", json=[line]).status_code == 202
    no_email = shop.reader.post("/v1/tickets", json={"subject": "Aide", "message": "..."})
    assert no_email.status_code == 422
    assert no_email.json()["detail"][0]["loc"] == ["body", "email"]

    shop.reader.put("/v1/account", json={"email": "gerant@dupont.example"})
    shop.sync(
        connector_version="4.2.1", erp_version="Sage 100 v12", shop_url="https://dupont.example"
    )
    config_id = shop.reader.post(
        "/v1/configurations", json={"name": "Config principale", "document": CONFIG}
    ).json()["configuration_id"]
    shop.reader.post(f"/v1/configurations/{config_id}/activate")
    draft = wait_until(
        lambda: (d := shop.reader.get("/v1/tickets/draft").json())["error_groups"] and d
    )
    assert draft["email"] == "gerant@dupont.example"
    assert draft["shop_url"] == "https://dupont.example"
    assert draft["agent"]["connector_version"] == "4.2.1"
    assert draft["active_configuration"]["configuration_id"] == config_id
    assert draft["error_groups"][0]["message"] == error["message"]

    mails_before = len(smtp_server.messages)
    created = shop.reader.post(
        "/v1/tickets", json={"subject": "Commandes bloquées", "message": "Bonjour, ..."}
    )
    assert created.status_code == 201, created.text
    ticket = created.json()
    assert ticket["status"] == "open"
    number = ticket["number"]
    token = (pipeline.data_dir / "operator.token").read_text().strip()
    with pipeline.client(token) as operator:

        def all_delivered() -> dict[str, Any] | None:
            seen: dict[str, Any] = operator.get(f"/v1/admin/tickets/{number}").json()
            return seen if all(d["state"] == "delivered" for d in seen["deliveries"]) else None

        delivered = wait_until(all_delivered)
    assert {d["channel"] for d in delivered["deliveries"]} == {"webhook", "email"}
    assert [d["attempts"] for d in delivered["deliveries"]] == [1, 1]

    mail = smtp_server.messages[mails_before]
    assert mail["To"] == "support@vendor.example"
    assert mail["Reply-To"] == "gerant@dupont.example"
    # RFC 2047 folding of a long non-ASCII subject may double a space once decoded.
    assert f"[{number}] Commandes bloquées" in " ".join(mail["Subject"].split())
    text = mail.get_body(("plain",))
    assert text is not None
    content = text.get_content()
    for expected in ("gerant@dupont.example", "https://dupont.example", "4.2.1", "Sage 100 v12",
                     "Config principale", error["message"]):  # fmt: skip
        assert expected in content
    hooked = next(t for t in webhook_receiver.received if t["ticket_id"] == ticket["ticket_id"])
    assert hooked["email"] == "gerant@dupont.example"
    assert hooked["error_groups"][0]["message"] == error["message"]

    listed = shop.reader.get("/v1/tickets").json()["items"]
    assert [(t["number"], t["status"]) for t in listed] == [(number, "open")]


def test_action_from_a_report_line_links_back_to_it(shop: Shop) -> None:
    unknown = shop.reader.post(
        "/v1/actions", json={"action": "clear_cache", "source_event_id": str(uuid.uuid4())}
    )
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"] == ["body", "source_event_id"]
    event_id = str(uuid.uuid4())
    line = {
        "event_id": event_id,
        "connector_id": "shop-s",
        "occurred_at": datetime.now(UTC).isoformat(),
        "operation": "order.import",
        "message": "Commande 000200 non importée : TVA incohérente",
    }
    assert shop.connector.post("/v1/events", json=[line]).status_code == 202
    wait_until(lambda: shop.reader.get("/v1/reports").json()["items"])
    linked = shop.reader.post(
        "/v1/actions", json={"action": "diagnose_vat", "source_event_id": event_id}
    )
    assert linked.status_code == 201, linked.text
    assert linked.json()["source_event_id"] == event_id


def test_set_status_without_a_running_pipeline_is_one_clear_line(tmp_path: Path) -> None:
    done = Pipeline(tmp_path / "var").ero("licence", "set-status", "some-licence", "revoked")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1, done.stderr
    assert "start `ero run`" in done.stderr


def _replay_licence_commands(bootstrap: str, topic: str, licence_id: str) -> int:
    """Send every control record of one licence again, as a redelivery after a crash would."""

    async def replay() -> int:
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
        await consumer.start()
        try:
            await consumer.topics()
            partitions = [
                TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []
            ]
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            ends = await consumer.end_offsets(partitions)
            records = []
            while any([await consumer.position(tp) < ends[tp] for tp in partitions]):
                for batch in (await consumer.getmany(timeout_ms=1000)).values():
                    records += [r for r in batch if r.key == licence_id.encode()]
        finally:
            await consumer.stop()
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
        await producer.start()
        try:
            for record in records:
                await producer.send_and_wait(topic, record.value, key=record.key)
        finally:
            await producer.stop()
        return len(records)

    return asyncio.run(replay())


def test_replayed_commands_change_nothing(pipeline: Pipeline, shop: Shop) -> None:
    config_id = shop.reader.post(
        "/v1/configurations", json={"name": "v", "connector_id": "shop-r", "document": CONFIG}
    ).json()["configuration_id"]
    shop.reader.put(
        f"/v1/configurations/{config_id}",
        json={"name": "v", "connector_id": "shop-r", "document": {**CONFIG, "safety_mode": False}},
    )
    shop.reader.post(f"/v1/configurations/{config_id}/activate")
    shop.reader.post(f"/v1/configurations/{config_id}/versions/1/restore")
    shop.reader.post("/v1/actions", json={"action": "clear_cache"})
    shop.sync(connector_id="shop-r")

    def state() -> list[Any]:
        return [
            shop.reader.get(path).json()
            for path in (
                "/v1/actions",
                "/v1/configurations",
                f"/v1/configurations/{config_id}/versions",
                "/v1/audit",
            )
        ]

    before = state()
    replayed = _replay_licence_commands(
        pipeline.runtime["kafka_bootstrap"], "ero.control", shop.licence.licence_id
    )
    assert replayed == len(before[3]["items"])
    # A command after the replay: once it is visible, the replayed records (same partition,
    # earlier offsets) have been projected too.
    shop.reader.put("/v1/account", json={"email": "replay@shop.example"})
    after = state()
    assert after[:3] == before[:3]
    assert after[3]["items"][1:] == before[3]["items"]
    assert [v["version"] for v in after[2]] == [1, 2, 3]
    assert shop.sync(connector_id="shop-r").json()["configuration"]["version"] == 3


def test_control_state_survives_a_restart(tmp_path: Path) -> None:
    """The embedded broker forgets its topics on stop; ClickHouse keeps the projected state."""
    own = Pipeline(tmp_path / "var").start()
    demo = own.demo_licence
    try:
        with own.client(demo.reader_token) as reader:
            action = reader.post("/v1/actions", json={"action": "clean_price_grids"}).json()
        assert own.stop() == 0
        own.start()
        with own.client(demo.reader_token) as reader:
            assert [a["action_id"] for a in reader.get("/v1/actions").json()] == [
                action["action_id"]
            ]
            again = reader.post("/v1/actions", json={"action": "clean_price_grids"})
            assert again.status_code == 409
        with own.client(demo.connector_key) as connector:
            sent = connector.post("/v1/agent/sync", json={"pc_key": "PC-RESTART-01"}).json()
        assert [a["action_id"] for a in sent["actions"]] == [action["action_id"]]
    finally:
        if own.process is not None:
            assert own.stop() == 0


def test_a_command_is_503_with_retry_after_when_the_log_is_unreachable(tmp_path: Path) -> None:
    api = Pipeline(
        tmp_path / "var",
        "api",
        ERO_KAFKA_BOOTSTRAP=f"127.0.0.1:{free_port()}",
        ERO_BROKER_TIMEOUT_SECONDS="2",
    )
    licence = api.create_licence("offline shop")  # no API yet: written straight to ClickHouse
    api.start()
    try:
        with api.client(licence.reader_token) as reader:
            response = reader.post("/v1/actions", json={"action": "clear_cache"})
            assert response.status_code == 503
            assert int(response.headers["Retry-After"]) > 0
            assert "nothing was changed" in response.json()["detail"]["en"]
            assert reader.get("/v1/actions").json() == []
    finally:
        assert api.stop() == 0


# A poison command, and bodies no store can hold ---------------------------------------------

POISON = {"erp": "ebp", "shop": "shopify", "options": {"x": 100000000000000000000}}


def _append(bootstrap: str, topic: str, key: str, values: list[bytes]) -> None:
    """Records a producer of our own writes onto the topic, past the API's checks."""

    async def send() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
        await producer.start()
        try:
            for value in values:
                await producer.send_and_wait(topic, value, key=key.encode())
        finally:
            await producer.stop()

    asyncio.run(send())


def _command(licence_id: str, entity: str, after: dict[str, Any]) -> bytes:
    # The stdlib encoder: orjson (like the projection) refuses integers past 64 bits.
    return json.dumps(
        {
            "command_id": str(uuid.uuid4()),
            "licence_id": licence_id,
            "kind": f"{entity}.created",
            "actor": "reader",
            "issued_at": datetime.now(UTC).isoformat(),
            "entity": entity,
            "entity_id": str(uuid.uuid4()),
            "revision": 1,
            "after": after,
        }
    ).encode()


def test_a_poison_command_is_refused_or_dead_lettered_and_other_licences_go_on(
    pipeline: Pipeline, shop: Shop, operator: httpx.Client
) -> None:
    refused = shop.reader.post("/v1/configurations", json={"name": "poison", "document": POISON})
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "document", "options", "x"]
    assert "64 bits" in refused.json()["detail"][0]["msg"]

    # Past the API: a big integer, and a licence document the writer cannot read.
    licence_id = shop.licence.licence_id
    _append(
        pipeline.runtime["kafka_bootstrap"],
        "ero.control",
        licence_id,
        [
            _command(licence_id, "configuration", {"name": "poison", "document": POISON}),
            _command(licence_id, "licence", {"name": "no status, no dates"}),
        ],
    )
    other = Shop(pipeline, "another licence")
    try:
        started = time.monotonic()
        created = other.reader.post(
            "/v1/configurations", json={"name": "après le poison", "document": CONFIG}
        )
        assert created.status_code == 201, created.text  # applied, not 202 after 5 s
        assert time.monotonic() - started < 5
        assert shop.reader.put("/v1/account", json={"email": "a@b.example"}).status_code == 200
    finally:
        other.close()

    letters = wait_until(
        lambda: (
            (
                found := operator.get(
                    "/v1/admin/dead-letters", params={"licence_id": licence_id}
                ).json()
            )
            and len(found) == 2
            and found
        )
    )
    reasons = sorted(letter["reason"] for letter in letters)
    assert reasons[0].startswith("(record): could not be stored (ValidationError)"), reasons
    assert reasons[1].startswith("after.document.options.x: integer beyond 64 bits"), reasons
    shown = operator.get(f"/v1/admin/dead-letters/{letters[0]['letter_id']}").json()
    assert shown["source"].startswith("control:ero.control/")
    replay = operator.post(
        "/v1/admin/dead-letters/replay", json={"letter_ids": [shown["letter_id"]]}
    ).json()
    assert replay["outcomes"][0]["replayed"] is False
    assert "not replayed" in replay["outcomes"][0]["reasons"][-1]["reason"]


@pytest.mark.parametrize(
    ("body", "loc", "words"),
    [
        (b'{"name":"n","document":{"erp":"ebp","shop":"other","options":{"x":NaN}}}',
         ["body", "document", "options", "x"], "finite"),
        (b'{"name":"n\\u0000","document":{"erp":"ebp","shop":"other"}}', ["body", "name"], "NUL"),
        (b'{"name":"\\ud800","document":{"erp":"ebp","shop":"other"}}', ["body", "name"],
         "surrogate"),
        (b'{"name":"n","document":' + b'{"a":' * 40 + b"1" + b"}" * 40 + b"}",
         ["body", "document", *["a"] * 31], "deeper than 32"),
    ],
)  # fmt: skip
def test_what_no_store_can_hold_is_a_422_naming_its_path(
    shop: Shop, body: bytes, loc: list[str], words: str
) -> None:
    answer = shop.reader.post(
        "/v1/configurations", content=body, headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["loc"] == loc
    assert words in answer.json()["detail"][0]["msg"]


def test_bodies_are_bounded_and_a_422_quotes_an_excerpt_only(shop: Shop) -> None:
    too_large = shop.reader.post(
        "/v1/tickets",
        content=b" " * (3 * 1024 * 1024),
        headers={"Content-Type": "application/json"},
    )
    assert too_large.status_code == 413
    assert too_large.json()["detail"]["code"] == "body_too_large"
    assert {"fr", "en"} <= set(too_large.json()["detail"])

    def chunks() -> Iterator[bytes]:  # no Content-Length: refused once the bytes pass the limit
        yield b'{"subject": "'
        for _ in range(300):
            yield b"x" * 10_000

    streamed = shop.reader.post("/v1/tickets", content=chunks())
    assert streamed.status_code == 413
    assert streamed.json()["detail"]["code"] == "body_too_large"

    echo = shop.reader.post(
        "/v1/configurations",
        json={"name": "n" * 1_000_000, "document": {"erp": "e" * 500_000, "shop": "other"}},
    )
    assert echo.status_code == 422
    assert len(echo.content) < 2_000, len(echo.content)
    assert [e["loc"] for e in echo.json()["detail"]] == [
        ["body", "name"],
        ["body", "document", "erp"],
    ]


def test_a_ticket_subject_is_one_line_and_tickets_are_rate_limited(shop: Shop) -> None:
    assert shop.reader.put("/v1/account", json={"email": "gerant@shop.example"}).status_code == 200
    injected = shop.reader.post(
        "/v1/tickets",
        json={"subject": "Aide\r\nBcc: everyone@example.com", "message": "Bonjour"},
    )
    assert injected.status_code == 422
    assert injected.json()["detail"][0]["loc"] == ["body", "subject"]
    assert shop.reader.get("/v1/tickets").json()["items"] == []  # refused before anything

    # 5 per minute per key: the refused attempt above counted, as every attempt does.
    answers = [
        shop.reader.post("/v1/tickets", json={"subject": f"Aide {n}", "message": "Bonjour"})
        for n in range(5)
    ]
    assert [a.status_code for a in answers] == [201] * 4 + [429]
    limited = answers[-1]
    assert int(limited.headers["Retry-After"]) >= 1
    assert limited.json()["detail"]["code"] == "rate_limited"
    assert len(shop.reader.get("/v1/tickets").json()["items"]) == 4
    # Another kind of write of the same key has its own window.
    assert shop.reader.post("/v1/actions", json={"action": "clear_cache"}).status_code == 201


def test_the_audit_shows_a_keyed_fingerprint_of_the_pc_key_never_its_hash(shop: Shop) -> None:
    pc_key = "PC-AUDIT-0001"
    assert shop.sync(pc_key).status_code == 200
    audit = shop.reader.get("/v1/audit", params={"entity": "pc_key"})
    bound = audit.json()["items"][0]["after"]
    assert "pc_key_hash" not in bound
    assert len(bound["pc_key_fingerprint"]) == 16
    assert hashlib.sha256(pc_key.encode()).hexdigest() not in audit.text


def test_api_docs_load_nothing_from_elsewhere_and_answers_carry_security_headers(
    pipeline: Pipeline, shop: Shop
) -> None:
    docs = httpx.get(f"{pipeline.url}/docs")
    assert docs.status_code == 200
    assert "http://" not in docs.text
    assert "https://" not in docs.text
    assert "script-src 'self'" in docs.headers["Content-Security-Policy"]
    script = re.search(r'<script src="([^"]+)"', docs.text)
    assert script is not None
    bundle = httpx.get(f"{pipeline.url}{script.group(1)}")
    assert bundle.status_code == 200
    assert "SwaggerUIBundle" in bundle.text
    for answer in (shop.reader.get("/v1/actions"), httpx.get(f"{pipeline.url}/v1/actions")):
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["X-Frame-Options"] == "DENY"
