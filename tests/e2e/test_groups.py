"""Error groups: one problem, whatever its variable parts, counted once per event."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.support.pipeline import Pipeline, wait_until

pytestmark = pytest.mark.pipeline


def _missing_item(connector: str, sku: str, order: str, minutes_ago: int) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "connector_id": connector,
        "occurred_at": (datetime.now(UTC) - timedelta(minutes=minutes_ago)).isoformat(),
        "operation": "order.import",
        "reference": order,
        "status": "error",
        "message": f"L'article '{sku}' est absent de la gestion commerciale : "
        f"la commande {order} ne peut pas être importée",
    }


def _timeout(connector: str) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "connector_id": connector,
        "occurred_at": datetime.now(UTC).isoformat(),
        "operation": "order.import",
        "status": "error",
        "message": f"Timeout ODBC lors de la connexion à la base EBP ({uuid.uuid4().int % 90} s)",
    }


def _groups(client: httpx.Client, path: str = "/v1/groups") -> list[dict[str, Any]]:
    response = client.get(path)
    assert response.status_code == 200, response.text
    groups: list[dict[str, Any]] = response.json()["groups"]
    return groups


def test_groups_count_each_event_once_and_rank_the_fleet_by_licences(pipeline: Pipeline) -> None:
    first, second = pipeline.create_licence("groups A"), pipeline.create_licence("groups B")
    missing = [
        _missing_item(f"shop-{i % 3}", f"SKU-{i}", f"{1000 + i}", minutes_ago=10 - i)
        for i in range(5)
    ]
    timeouts = [_timeout("shop-0") for _ in range(7)]
    with pipeline.client(first.connector_key) as connector:
        for _ in range(2):  # a retried batch must not double the counts
            assert connector.post("/v1/events", json=missing + timeouts).status_code == 202
    with pipeline.client(second.connector_key) as connector:
        other = _missing_item("b-shop", "AUTRE-1", "WC-77", minutes_ago=1)
        assert connector.post("/v1/events", json=[other]).status_code == 202

    with pipeline.client(first.reader_token) as reader:
        groups = wait_until(
            lambda: (g := _groups(reader)) and sum(x["count"] for x in g) == 12 and g
        )
        by_rule = {group["rule_id"]: group for group in groups}
        assert set(by_rule) == {"erp.missing_item", "erp.connection"}
        item = by_rule["erp.missing_item"]
        assert item["count"] == 5
        assert item["connectors_affected"] == 3
        assert item["sample_message"] == missing[-1]["message"]  # the latest one
        assert item["template"] == (
            "L'article '<v>' est absent de la gestion commerciale : "
            "la commande <n> ne peut pas être importée"
        )
        assert item["remediation"]["action"] == "diagnose_missing_products"
        assert by_rule["erp.connection"]["count"] == 7
        listed = reader.get(item["report_url"] + "&limit=50").json()["items"]
        assert {i["event_id"] for i in listed} == {e["event_id"] for e in missing}

    with pipeline.client(second.reader_token) as reader:
        # Its one event may be projected after the first licence's: wait for it too.
        assert wait_until(lambda: [g["count"] for g in _groups(reader)]) == [1]

    operator = pipeline.client((pipeline.data_dir / "operator.token").read_text().strip())
    with operator:
        fleet = _groups(operator, "/v1/admin/groups")
    fleet_item = next(g for g in fleet if g["fingerprint"] == item["fingerprint"])
    assert fleet_item["licences_affected"] >= 2
    assert fleet_item["count"] >= 6
    odbc = next(g for g in fleet if g["rule_id"] == "erp.connection")
    assert fleet.index(fleet_item) < fleet.index(odbc), "ranked by licences affected first"

    with pipeline.client(first.reader_token) as reader:
        assert reader.get("/v1/admin/groups").status_code == 401


def _line(connector: str, status: str | None, message: str, minutes_ago: int = 1) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "connector_id": connector,
        "occurred_at": (datetime.now(UTC) - timedelta(minutes=minutes_ago)).isoformat(),
        "operation": "sync.run",
        "status": status,
        "message": message,
    }


def test_the_dashboard_lists_errors_first_each_with_its_hints_and_its_action_button(
    pipeline: Pipeline,
) -> None:
    """A summary counting errors is an alert (however often it comes, it never tops the errors)
    and one counting none a success; an incomplete address has a next step of its own; every
    problem has its hint in both languages and its rule's action as a labelled button."""
    licence = pipeline.create_licence("dashboard problems")
    summaries = [
        _line("shop-a", "success", f"Sync run finished in {10 + i} s: {i + 4} orders, 3 errors", i)
        for i in range(6)
    ]
    clean = [_line("shop-a", "error", "[OrderImport] 84 nouvelles commandes importées, 0 erreur")]
    missing = [_missing_item("shop-a", f"SKU-{i}", f"{2000 + i}", minutes_ago=i) for i in range(2)]
    pc_key = [_line("shop-b", "error", "La clé PC ne correspond pas à ce poste", 2)]
    address = [
        _line(
            "shop-b",
            "alerte",
            "Adresse de facturation incomplete sur le site pour la commande WC-3388 "
            "(code postal vide), client cree sans CP",
        )
    ]
    posted = summaries + clean + missing + pc_key + address
    with pipeline.client(licence.connector_key) as connector:
        assert connector.post("/v1/events", json=posted).status_code == 202

    with pipeline.client(licence.reader_token) as reader:
        board = wait_until(
            lambda: (
                (b := reader.get("/v1/dashboard").json())
                and sum(c["count"] for c in b["levels"].values()) == len(posted)
                # Each rollup's part is committed in turn: the groups' may come a moment later.
                and len(b["top_error_groups"]) == 4
                and b
            )
        )
    assert board["levels"]["success"]["count"] == 1, "a summary counting no error is a success"
    groups = board["top_error_groups"]
    assert [(g["level"], g["rule_id"], g["events"]["count"]) for g in groups] == [
        ("error", "erp.missing_item", 2),
        ("error", "connector.pc_key", 1),
        ("alert", "summary", 6),
        ("alert", "cms.address_incomplete", 1),
    ]
    for group in groups:
        remediation = group["remediation"]
        assert remediation["hint"], group
        assert remediation["hint_en"], group
        assert remediation["hint_en"] != remediation["hint"]
    by_rule = {group["rule_id"]: group for group in groups}
    assert by_rule["erp.missing_item"]["suggested_action"] == {
        "action": "diagnose_missing_products",
        "label_fr": "Effectuer un diagnostic Produits absents",
        "label_en": "Diagnose missing products",
        "queued": True,
        "needs_order_reference": False,
    }
    assert by_rule["connector.pc_key"]["suggested_action"]["queued"] is False
    assert by_rule["connector.pc_key"]["suggested_action"]["label_en"] == "Reset the PC key"
    assert by_rule["summary"]["suggested_action"] is None
    address_fix = by_rule["cms.address_incomplete"]["remediation"]
    assert address_fix["url"].endswith("/adresse-incomplete")
    assert "adresse" in address_fix["hint"].lower()
    assert "address" in address_fix["hint_en"].lower()
