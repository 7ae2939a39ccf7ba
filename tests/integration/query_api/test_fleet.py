"""The vendor's fleet views on the real chdb through the app's routes: error groups ranked by
licences affected, one group's licences and the versions they run, the licence list paged and
searched with last sync, versions and owners, and the silent licences."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from infra.clickhouse import ClickHouse
from licences import Credentials
from query_api.groups import fleet_groups_statement
from schemas import ClassifiedEvent, Level, Origin, Remediation
from schemas.accounts import ACCOUNTS
from tests.support.query_store import QueryStore

NOW = datetime.now(UTC).replace(second=0, microsecond=0)
ENTITY_COLUMNS = (
    "licence_id", "entity", "entity_id", "revision", "status", "dedup_key", "deleted", "actor",
    "updated_at", "body",
)  # fmt: skip


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, clickhouse: ClickHouse) -> QueryStore:
    return QueryStore(clickhouse, tmp_path_factory.mktemp("fleet"))


@pytest.fixture(scope="module")
def operator(store: QueryStore) -> Iterator[TestClient]:
    token = store.state.operator_token
    with TestClient(store.api.app, headers={"Authorization": f"Bearer {token}"}) as client:
        yield client


def _error(fingerprint: int, connector: str, minutes_ago: int, origin: Origin) -> ClassifiedEvent:
    return _error_at(fingerprint, connector, NOW - timedelta(minutes=minutes_ago), origin)


def _error_at(
    fingerprint: int, connector: str, at: datetime, origin: Origin = Origin.ERP
) -> ClassifiedEvent:
    return ClassifiedEvent(
        event_id=uuid.uuid4(),
        connector_id=connector,
        occurred_at=at,
        operation="order.import",
        status="erreur",
        message=f"Erreur {fingerprint} sur {connector}",
        level=Level.ERROR,
        origin=origin,
        remediation=Remediation(hint="Vérifiez", url=None, action=None),
        rule_id=f"rule-{fingerprint}",
        rule_version=1,
        template=f"Erreur {fingerprint} sur <v>",
        fingerprint=fingerprint,
    )


def _entity(licence_id: str, entity: str, entity_id: str, body: dict[str, Any]) -> list[Any]:
    return [
        licence_id, entity, entity_id, 1, "", "", False, "test", datetime.now(UTC),
        orjson.dumps(body).decode(),
    ]  # fmt: skip


def _agent(licence: Credentials, connector: str, erp: str, shop: str) -> list[Any]:
    versions = {"connector_version": connector, "erp_version": erp, "shop_version": shop}
    return _entity(licence.licence_id, "agent", "", versions)


def test_groups_rank_by_licences_and_a_group_names_its_licences_and_versions(
    store: QueryStore, operator: TestClient, clickhouse: ClickHouse
) -> None:
    # Fingerprints of their own: the process's chdb is shared with other tests.
    wide, deep = 2**40 + uuid.uuid4().int % 2**20, 2**41 + uuid.uuid4().int % 2**20
    shops = [store.licence(f"Fleet shop {n}") for n in range(4)]
    for n, shop in enumerate(shops[:3]):  # `wide`: 3 licences, one event each
        store.write(shop.licence_id, [_error(wide, f"c{n}", 5 + n, Origin.ERP)])
    # `deep`: one licence, many events (more events, fewer licences: ranked below `wide`).
    store.write(shops[3].licence_id, [_error(deep, "c9", m, Origin.CMS) for m in range(1, 9)])
    store.write(shops[0].licence_id, [_error(wide, "c0", 2, Origin.ERP)])  # 2 for shop 0
    rows = [
        _agent(shops[0], "4.2.1", "Sage 100 v12", "PrestaShop 8.1"),
        _agent(shops[1], "4.2.1", "Sage 100 v12", "PrestaShop 8.2"),
        _agent(shops[2], "4.1.0", "EBP 2025", "PrestaShop 8.2"),
    ]
    clickhouse.insert_columns("control_entities", ENTITY_COLUMNS, list(zip(*rows, strict=True)))

    answer = operator.get("/v1/admin/groups", params={"limit": 200})
    assert answer.status_code == 200, answer.text
    ranked = [g for g in answer.json()["groups"] if int(g["fingerprint"]) in (wide, deep)]
    assert [(int(g["fingerprint"]), g["licences_affected"], g["count"]) for g in ranked] == [
        (wide, 3, 4),
        (deep, 1, 8),
    ]

    detail = operator.get(f"/v1/admin/groups/{wide}")
    assert detail.status_code == 200, detail.text
    body = detail.json()
    assert body["group"]["origin"] == "erp"
    assert body["group"]["licences_affected"] == 3
    named = [(item["name"], item["count"]) for item in body["licences"]]
    assert named[0] == ("Fleet shop 0", 2), "most events first"
    assert sorted(named[1:]) == [("Fleet shop 1", 1), ("Fleet shop 2", 1)]
    assert body["licences"][0]["agent"]["erp_version"] == "Sage 100 v12"
    erp = {v["version"]: v["licences"] for v in body["versions"]["erp"]}
    assert erp == {"Sage 100 v12": 2, "EBP 2025": 1}
    shop = body["versions"]["shop"]
    assert [(v["version"], v["licences"]) for v in shop] == [
        ("PrestaShop 8.2", 2),
        ("PrestaShop 8.1", 1),
    ]
    assert all(v["fleet"] >= v["licences"] for v in shop)
    # `deep`'s licence never synced: its versions are unknown, not made up.
    unknown = operator.get(f"/v1/admin/groups/{deep}").json()["versions"]["connector"]
    assert [(v["version"], v["licences"]) for v in unknown] == [(None, 1)]

    week = {"since": (NOW - timedelta(days=7)).isoformat()}
    assert operator.get(f"/v1/admin/groups/{wide}", params=week).status_code == 200
    past = {"until": (NOW - timedelta(days=2)).isoformat()}
    missing = operator.get(f"/v1/admin/groups/{wide}", params=past)
    assert missing.status_code == 404
    assert missing.json()["detail"]["code"] == "group_not_found"


def test_a_window_is_counted_alike_from_its_days_hours_and_minutes(
    store: QueryStore, operator: TestClient, clickhouse: ClickHouse
) -> None:
    """The ranking reads a window's whole days, the hours either side and the minutes left from
    three projections: a licence seen in two of them counts once, the ends are exact."""
    fp = 2**43 + uuid.uuid4().int % 2**20
    day = datetime.combine(NOW.date(), datetime.min.time(), UTC) - timedelta(days=2)
    since, until = day - timedelta(minutes=110), day + timedelta(days=1, minutes=85)
    a, b, c, outside = (store.licence(f"Pieces {n}") for n in ("a", "b", "c", "outside"))
    store.write(a.licence_id, [  # a minute before the first whole hour, and inside the day
        _error_at(fp, "a1", since + timedelta(minutes=5)),
        _error_at(fp, "a1", day + timedelta(hours=5)),
    ])  # fmt: skip
    store.write(b.licence_id, [  # an hour before the day, and a minute after the last hour
        _error_at(fp, "b1", day - timedelta(minutes=30)),
        _error_at(fp, "b2", until - timedelta(minutes=15)),
    ])  # fmt: skip
    store.write(c.licence_id, [_error_at(fp, "c1", day + timedelta(days=1, minutes=30))])
    store.write(outside.licence_id, [  # the minute before `since`, and `until` itself
        _error_at(fp, "o1", since - timedelta(minutes=1)),
        _error_at(fp, "o1", until),
    ])  # fmt: skip

    def ranked(start: datetime, end: datetime) -> dict[str, Any] | None:
        answer = operator.get(
            "/v1/admin/groups",
            params={"since": start.isoformat(), "until": end.isoformat(), "limit": 200},
        )
        assert answer.status_code == 200, answer.text
        found = [g for g in answer.json()["groups"] if int(g["fingerprint"]) == fp]
        return found[0] if found else None

    group = ranked(since, until)
    assert group is not None
    assert (group["licences_affected"], group["count"]) == (3, 5)
    assert (group["connectors_affected"], group["connectors"]) == (4, ["a1", "b1", "b2", "c1"])
    assert group["first_seen"].startswith((since + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M"))
    assert group["last_seen"].startswith((until - timedelta(minutes=15)).strftime("%Y-%m-%dT%H:%M"))
    assert group["sample_message"] == f"Erreur {fp} sur b2", "the latest line's"

    detail = operator.get(
        f"/v1/admin/groups/{fp}", params={"since": since.isoformat(), "until": until.isoformat()}
    )
    assert detail.status_code == 200, detail.text
    assert detail.json()["group"] == group
    counts = {item["name"]: item["count"] for item in detail.json()["licences"]}
    assert counts == {"Pieces a": 2, "Pieces b": 2, "Pieces c": 1}

    from_an_hour = ranked(day - timedelta(hours=1), until)  # minutes at the end only
    assert from_an_hour is not None
    assert (from_an_hour["licences_affected"], from_an_hour["count"]) == (3, 4)
    whole_day = ranked(day, day + timedelta(days=1))
    assert whole_day is not None
    assert (whole_day["licences_affected"], whole_day["count"]) == (1, 1)
    minutes_only = ranked(until - timedelta(minutes=20), until)  # no whole hour
    assert minutes_only is not None
    assert (minutes_only["licences_affected"], minutes_only["count"]) == (1, 1)
    assert ranked(until, until + timedelta(minutes=1)) is not None  # `outside` at `until`
    assert ranked(since + timedelta(minutes=6), day - timedelta(minutes=31)) is None


def test_a_week_of_the_fleet_reads_the_projections_not_the_table(
    store: QueryStore, clickhouse: ClickHouse
) -> None:
    # Whatever the hour the test runs: whole hours and minutes left at either end, and a line in
    # each piece (ClickHouse reads a piece holding nothing from the table: no granule either
    # way, and the table comes first).
    until = datetime.combine(NOW.date(), datetime.min.time(), UTC) - timedelta(hours=19, minutes=43)
    since = until - timedelta(days=7)
    fp = 2**44 + uuid.uuid4().int % 2**20
    licence = store.licence("Week")
    store.write(licence.licence_id, [
        _error_at(fp, "w1", at)
        for at in (
            since + timedelta(minutes=5),  # the minutes before the first whole hour
            since + timedelta(hours=2),  # the hours before the first whole day
            since + timedelta(days=3),  # the days
            until - timedelta(hours=3),  # the hours after the last whole day
            until - timedelta(minutes=5),  # the minutes after the last whole hour
        )
    ])  # fmt: skip
    statement = fleet_groups_statement(since, until, 50)
    plan = clickhouse.rows(f"EXPLAIN {statement.sql}", statement.parameters)
    read = sorted(line.split("(")[-1].rstrip(")") for (line,) in plan if "ReadFrom" in line)
    assert read == ["fleet_days", "fleet_hours", "fleet_minutes"]


def test_the_licence_list_pages_and_searches_by_name(
    store: QueryStore, operator: TestClient, clickhouse: ClickHouse
) -> None:
    tag = uuid.uuid4().hex[:8]
    made = [store.licence(f"Annuaire {tag} {n:02d}") for n in range(7)]
    store.write(made[2].licence_id, [_error(2**42, "c", 3, Origin.ERP)])
    user_id = str(uuid.uuid4())
    rows = [
        _agent(made[2], "4.3.0", "Sage 100 v13", "WooCommerce 9"),
        _entity(made[2].licence_id, "member", user_id, {"user_id": user_id, "role": "owner",
                                                        "added_by": "operator"}),
        _entity(ACCOUNTS, "user", user_id, {"user_id": user_id, "email": f"{tag}@shop.example",
                                            "name": "Marie Dupont", "created_at": NOW.isoformat()}),
    ]  # fmt: skip
    clickhouse.insert_columns("control_entities", ENTITY_COLUMNS, list(zip(*rows, strict=True)))

    seen: list[dict[str, Any]] = []
    cursor = None
    pages = 0
    while True:
        params = {
            "q": f"annuaire {tag.upper()}",
            "limit": 3,
            **({"cursor": cursor} if cursor else {}),
        }
        answer = operator.get("/v1/admin/licences", params=params)
        assert answer.status_code == 200, answer.text
        seen += answer.json()["items"]
        cursor = answer.json()["next_cursor"]
        pages += 1
        if cursor is None:
            break
    assert pages == 3
    assert [item["name"] for item in seen] == [f"Annuaire {tag} {n:02d}" for n in range(7)]
    third = seen[2]
    assert third["agent"]["connector_version"] == "4.3.0"
    assert third["owners"] == [{"name": "Marie Dupont", "email": f"{tag}@shop.example"}]
    assert third["members"] == 1
    assert third["last_event_at"] is not None
    assert seen[0]["last_event_at"] is None
    assert seen[0]["owners"] == []

    one = operator.get(f"/v1/admin/licences/{made[2].licence_id}")
    assert one.status_code == 200
    assert one.json() == third
    assert operator.get(f"/v1/admin/licences/{uuid.uuid4()}").status_code == 404
    none = operator.get("/v1/admin/licences", params={"q": f"{tag}-nobody"}).json()
    assert none == {"items": [], "next_cursor": None}
    bad = operator.get("/v1/admin/licences", params={"cursor": "not a cursor"})
    assert bad.status_code == 422


def _backdate(
    clickhouse: ClickHouse, licence_id: str, name: str, status: str, age: timedelta
) -> None:
    created = NOW - age
    clickhouse.insert_columns(
        "licences",
        ("licence_id", "name", "status", "created_at", "updated_at"),
        ([licence_id], [name], [status], [created], [datetime.now(UTC)]),
    )


def test_the_silent_licences_are_the_active_ones_without_a_sync_run_for_hours(
    store: QueryStore, operator: TestClient, clickhouse: ClickHouse
) -> None:
    tag = uuid.uuid4().hex[:8]
    names = ("quiet", "syncing", "never", "lines-only", "revoked", "new")
    shops = {name: store.licence(f"Silence {tag} {name}") for name in names}
    for name, licence in shops.items():
        status = "revoked" if name == "revoked" else "active"
        age = timedelta(hours=1) if name == "new" else timedelta(days=3)
        _backdate(clickhouse, licence.licence_id, f"Silence {tag} {name}", status, age)

    def run(hours_ago: float, sync_id: str | None) -> ClassifiedEvent:
        event = _error(2**43, "c", int(hours_ago * 60), Origin.ERP)
        return event.model_copy(update={"sync_id": sync_id})

    store.write(shops["quiet"].licence_id, [run(30, "run-1"), run(26, "run-2")])
    store.write(shops["syncing"].licence_id, [run(30, "run-1"), run(2, "run-2")])
    store.write(shops["lines-only"].licence_id, [run(30, "run-1"), run(1, None)])
    store.write(shops["revoked"].licence_id, [run(50, "run-1")])

    def silent(hours: int) -> list[dict[str, Any]]:
        answer = operator.get(
            "/v1/admin/licences", params={"q": f"silence {tag}", "silent_hours": hours}
        )
        assert answer.status_code == 200, answer.text
        return list(answer.json()["items"])

    day = silent(24)
    # A line without a sync run is not a sync; a revoked licence and one created an hour ago
    # are not expected to sync.
    assert [item["name"].split()[-1] for item in day] == ["lines-only", "never", "quiet"]
    quiet = day[2]
    assert quiet["last_sync_at"] is not None
    assert datetime.fromisoformat(quiet["last_sync_at"]) == NOW - timedelta(minutes=26 * 60)
    assert day[1]["last_sync_at"] is None
    assert [item["name"].split()[-1] for item in silent(48)] == ["never"]
    assert [item["name"].split()[-1] for item in silent(2)] == [
        "lines-only", "never", "quiet", "syncing",
    ]  # fmt: skip
    everyone = operator.get("/v1/admin/licences", params={"q": f"silence {tag}"}).json()
    assert len(everyone["items"]) == len(names)
    for hours in (0, 721):
        refused = operator.get("/v1/admin/licences", params={"silent_hours": hours})
        assert refused.status_code == 422
        assert "silent_hours" in refused.text
