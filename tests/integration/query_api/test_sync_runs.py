"""Sync runs and connector health on the real schema in a real chdb: runs aggregated from their
lines, their status, keyset paging, licence walls, and each health state on the dashboard."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from infra.clickhouse import ClickHouse
from licences import Credentials
from schemas import ClassifiedEvent, Level
from tests.support.query_store import Generator, QueryStore

NOW = datetime.now(UTC).replace(microsecond=0)
MINUTE = timedelta(minutes=1)


class Lines:
    """Events of chosen runs (the generator fills in the rest)."""

    def __init__(self) -> None:
        self.generator = Generator(18, NOW)

    def line(
        self,
        sync_id: str | None,
        at: datetime,
        connector_id: str = "shop-a",
        level: Level = Level.SUCCESS,
        operation: str = "order.import",
    ) -> ClassifiedEvent:
        return self.generator.event(at).model_copy(
            update={
                "sync_id": sync_id,
                "connector_id": connector_id,
                "level": level,
                "operation": operation,
            }
        )

    def regular(
        self, connector_id: str, runs: int, every: timedelta, last: datetime
    ) -> list[ClassifiedEvent]:
        """`runs` runs of two lines a minute apart, one every `every`, the last one's last line
        at `last`."""
        made = []
        for n in range(runs):
            start = last - MINUTE - (runs - 1 - n) * every
            made += [
                self.line(f"{connector_id}-{n}", start, connector_id),
                self.line(f"{connector_id}-{n}", start + MINUTE, connector_id),
            ]
        return made


class World:
    def __init__(self, store: QueryStore) -> None:
        self.store = store
        self.shop = store.licence("runs shop")
        self.other = store.licence("runs other shop")
        self.fleet = store.licence("runs fleet")
        lines = Lines()
        t0 = NOW - timedelta(hours=3)
        store.write(
            self.shop.licence_id,
            [
                lines.line("r-alerts", t0),
                lines.line("r-alerts", t0 + timedelta(seconds=30)),
                lines.line(
                    "r-alerts",
                    t0 + timedelta(seconds=90),
                    level=Level.ALERT,
                    operation="stock.export",
                ),
                lines.line("r-failed", t0 + timedelta(hours=1), level=Level.ERROR),
                lines.line("r-failed", t0 + timedelta(hours=1, seconds=5)),
                lines.line("r-ok", t0 + timedelta(hours=2), connector_id="shop-b"),
                lines.line(None, t0 + timedelta(hours=2, minutes=1)),  # no run
                lines.line("r-old", NOW - timedelta(days=9)),  # before the default window
            ],
        )
        store.write(self.other.licence_id, [lines.line("r-secret", t0)])
        ten = timedelta(minutes=10)
        store.write(
            self.fleet.licence_id,
            lines.regular("steady", 12, ten, NOW - 5 * MINUTE)
            + lines.regular("late", 12, ten, NOW - 20 * MINUTE)
            + lines.regular("silent", 12, ten, NOW - 45 * MINUTE)
            + lines.regular("failing", 11, ten, NOW - 15 * MINUTE)
            + [lines.line("failing-11", NOW - 5 * MINUTE, "failing", Level.ERROR)]
            + lines.regular("rare", 2, timedelta(hours=5), NOW - timedelta(hours=2))
            + lines.regular("gone", 2, timedelta(hours=5), NOW - timedelta(hours=30))
            + [
                lines.line(f"paged-{n:02d}", NOW - timedelta(hours=4, minutes=n), "paged")
                for n in range(25)
            ],
        )


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, clickhouse: ClickHouse) -> World:
    return World(QueryStore(clickhouse, tmp_path_factory.mktemp("runs")))


def runs(world: World, licence: Credentials, **params: Any) -> list[dict[str, Any]]:
    body: dict[str, Any] = world.store.get(licence, "/v1/sync-runs", **params).json()
    return list(body["items"])


def test_each_run_is_aggregated_from_its_lines_newest_first(world: World) -> None:
    items = runs(world, world.shop)
    assert [r["sync_id"] for r in items] == ["r-ok", "r-failed", "r-alerts"]
    alerts = items[2]
    assert alerts["connector_id"] == "shop-a"
    assert alerts["duration_seconds"] == 90
    assert alerts["lines"] == 3
    assert alerts["levels"] == {"success": 2, "alert": 1, "error": 0}
    assert alerts["operations"] == [
        {"operation": "order.import", "lines": 2},
        {"operation": "stock.export", "lines": 1},
    ]
    assert alerts["operations_total"] == 2
    assert [r["status"] for r in items] == ["ok", "failed", "with_alerts"]
    assert items[0]["connector_id"] == "shop-b"


def test_a_runs_report_url_lists_exactly_its_lines(world: World) -> None:
    run = runs(world, world.shop)[1]
    params: dict[str, Any] = dict(httpx.URL(run["report_url"]).params.multi_items())
    lines = world.store.all_items(world.shop, **params)
    assert len(lines) == 2
    assert {line["sync_id"] for line in lines} == {"r-failed"}


def test_runs_filter_by_status_and_connector(world: World) -> None:
    assert [r["sync_id"] for r in runs(world, world.shop, status="failed")] == ["r-failed"]
    both = runs(world, world.shop, status=["ok", "with_alerts"])
    assert [r["sync_id"] for r in both] == ["r-ok", "r-alerts"]
    assert [r["sync_id"] for r in runs(world, world.shop, connector_id="shop-b")] == ["r-ok"]
    older = (NOW - timedelta(days=10)).isoformat()
    assert "r-old" in [r["sync_id"] for r in runs(world, world.shop, since=older)]


def test_one_run_and_the_licence_wall(world: World) -> None:
    run = world.store.get(world.shop, "/v1/sync-runs/r-failed").json()
    assert run["status"] == "failed"
    assert run["levels"]["error"] == 1
    for licence, sync_id in ((world.shop, "r-secret"), (world.other, "r-failed")):
        response = world.store.api.get(
            f"/v1/sync-runs/{sync_id}",
            headers={"Authorization": f"Bearer {licence.reader_token}"},
        )
        assert response.status_code == 404
        assert response.json()["detail"]["code"] == "sync_run_not_found"
    assert [r["sync_id"] for r in runs(world, world.other)] == ["r-secret"]


def test_cursor_pages_walk_every_run_once_in_order(world: World) -> None:
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"connector_id": "paged", "limit": 7}
        if cursor:
            params["cursor"] = cursor
        body = world.store.get(world.fleet, "/v1/sync-runs", **params).json()
        assert len(body["items"]) <= 7
        seen += [r["sync_id"] for r in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"paged-{n:02d}" for n in range(25)]


@pytest.mark.parametrize("cursor", ["nope", "WyJ4IiwgMV0", "WyIyMDI2LTAxLTAxVDAwOjAwOjAwIiwiYSJd"])
def test_a_forged_cursor_is_a_422_naming_it(world: World, cursor: str) -> None:
    response = world.store.api.get(
        "/v1/sync-runs",
        params={"cursor": cursor},
        headers={"Authorization": f"Bearer {world.shop.reader_token}"},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "cursor"]


def test_a_window_past_31_days_is_refused(world: World) -> None:
    response = world.store.api.get(
        "/v1/sync-runs",
        params={"since": (NOW - timedelta(days=40)).isoformat()},
        headers={"Authorization": f"Bearer {world.shop.reader_token}"},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "since"]


def test_the_dashboard_gives_each_connector_its_health(world: World) -> None:
    board = world.store.get(world.fleet, "/v1/dashboard").json()
    health = {c["connector_id"]: c["health"] for c in board["connectors"]}
    assert {name: h["state"] for name, h in health.items()} == {
        "steady": "ok",
        "late": "late",
        "silent": "silent",
        "failing": "failing",
        "rare": "ok",
        "gone": "silent",
        "paged": "silent",  # a minute apart, 4 h ago
    }
    assert health["steady"]["expected_every_seconds"] == 600
    assert health["rare"]["expected_every_seconds"] == 86400
    assert datetime.fromisoformat(health["late"]["last_run_at"]) == NOW - 20 * MINUTE
