"""A reference's timeline and the time to success, on the real schema in a real chdb: order,
steps, summary, truncation, licence walls, and the trends' quantiles against Python's."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from infra.clickhouse import ClickHouse
from licences import Credentials
from schemas import ClassifiedEvent, Level, Origin, Remediation
from tests.support.query_store import QueryStore

NOW = datetime.now(UTC).replace(microsecond=0)
T0 = NOW - timedelta(days=2)
HINT = Remediation(
    hint="Créez l'article dans Sage",
    hint_en="Create the item in Sage",
    url="/aide/article-absent",
    action="reimport_order",
)


def event(
    n: int,
    reference: str,
    operation: str,
    level: Level,
    at: datetime,
    *,
    remediation: Remediation | None = None,
) -> ClassifiedEvent:
    return ClassifiedEvent(
        event_id=uuid.UUID(int=n, version=4),
        connector_id="shop-a",
        occurred_at=at,
        operation=operation,
        reference=reference,
        status=level.value,
        message=f"{operation} {reference} #{n}",
        sync_id=f"run-{n}",
        level=level,
        origin=Origin.ERP,
        remediation=remediation or Remediation(),
        rule_id="rule-1",
        rule_version=1,
        template=f"{operation} <ref>",
        fingerprint=n,
    )


# CMD-1: fails to import, is imported 90 s later, invoiced, then an operation no step names.
STORY = [
    event(1, "CMD-1", "order.import", Level.ERROR, T0, remediation=HINT),
    event(2, "CMD-1", "order.import", Level.SUCCESS, T0 + timedelta(seconds=90)),
    event(3, "CMD-1", "invoice.export", Level.SUCCESS, T0 + timedelta(seconds=200)),
    event(4, "CMD-1", "carrier.label", Level.ALERT, T0 + timedelta(seconds=300)),
]
# Same instant: the event id orders them.
TIES = [event(n, "CMD-TIE", "order.import", Level.ALERT, T0) for n in (12, 11, 13)]
LONG = [
    event(100 + n, "SKU-LONG", "stock.export", Level.SUCCESS, T0 + timedelta(minutes=n))
    for n in range(8)
]
NEVER = [event(200, "CMD-2", "order.import", Level.ERROR, T0, remediation=HINT)]

# Time to success: ten references seen two days ago, the k-th succeeding k minutes later; five
# seen twenty days ago, an hour each; one seen forty days ago (in neither window); one that
# never succeeds (counted, never timed).
TIMING = (
    [
        e
        for k in range(1, 11)
        for e in (
            event(1000 + k, f"T7-{k}", "order.import", Level.ERROR, T0),
            event(1100 + k, f"T7-{k}", "order.import", Level.SUCCESS, T0 + timedelta(minutes=k)),
        )
    ]
    + [
        e
        for k in range(5)
        for e in (
            event(1200 + k, f"T30-{k}", "order.import", Level.ALERT, NOW - timedelta(days=20)),
            event(
                1300 + k,
                f"T30-{k}",
                "order.import",
                Level.SUCCESS,
                NOW - timedelta(days=20, hours=-1),
            ),
        )
    ]
    + [
        event(1400, "OLD", "order.import", Level.ERROR, NOW - timedelta(days=40)),
        event(1401, "OLD", "order.import", Level.SUCCESS, NOW - timedelta(days=39)),
        event(1402, "FAILING", "order.import", Level.ERROR, T0),
    ]
)


class World:
    def __init__(self, store: QueryStore) -> None:
        self.store = store
        self.shop = store.licence("timeline shop")
        self.other = store.licence("timeline other")
        self.timing = store.licence("timeline timing")
        store.write(self.shop.licence_id, STORY + TIES + LONG + NEVER)
        store.write(self.other.licence_id, [event(300, "CMD-B", "order.import", Level.SUCCESS, T0)])
        store.write(self.timing.licence_id, TIMING)

    def timeline(self, licence: Credentials, reference: str, **params: Any) -> Any:
        return self.store.api.get(
            f"/v1/references/{reference}/timeline",
            params=params,
            headers={"Authorization": f"Bearer {licence.reader_token}"},
        )


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, clickhouse: ClickHouse) -> World:
    return World(QueryStore(clickhouse, tmp_path_factory.mktemp("timeline")))


def test_the_events_come_oldest_first_with_their_steps_and_the_error_between(
    world: World,
) -> None:
    body = world.timeline(world.shop, "CMD-1").json()
    assert [e["event_id"] for e in body["events"]] == [str(e.event_id) for e in STORY]
    assert [(e["step"], e["level"]) for e in body["events"]] == [
        ("imported", "error"),
        ("imported", "success"),
        ("invoiced", "success"),
        ("carrier.label", "alert"),
    ]
    assert body["events"][0]["step_label_fr"] == "Import dans l'ERP"
    assert body["events"][0]["step_label_en"] == "Import into the ERP"
    assert body["events"][3]["step_label_en"] == "carrier.label"
    assert body["events"][0]["remediation"] == HINT.model_dump()
    assert body["truncated"] is False
    assert body["actions"] == []


def test_the_summary_times_first_sight_to_first_success(world: World) -> None:
    summary = world.timeline(world.shop, "CMD-1").json()["summary"]
    assert summary["events"] == 4
    assert datetime.fromisoformat(summary["first_seen"]) == T0
    assert datetime.fromisoformat(summary["first_success"]) == T0 + timedelta(seconds=90)
    assert summary["seconds_to_success"] == 90
    assert (summary["state"], summary["state_step"]) == ("alert", "carrier.label")
    never = world.timeline(world.shop, "CMD-2").json()["summary"]
    assert never["first_success"] is None
    assert never["seconds_to_success"] is None
    assert (never["state"], never["state_label_fr"]) == ("error", "Import dans l'ERP")


def test_events_at_one_instant_are_ordered_by_their_id(world: World) -> None:
    body = world.timeline(world.shop, "CMD-TIE").json()
    assert [e["event_id"] for e in body["events"]] == sorted(str(e.event_id) for e in TIES)


def test_a_long_story_is_cut_to_its_oldest_events_and_says_so(world: World) -> None:
    body = world.timeline(world.shop, "SKU-LONG", limit=3).json()
    assert [e["event_id"] for e in body["events"]] == [str(e.event_id) for e in LONG[:3]]
    assert body["truncated"] is True
    assert body["summary"]["events"] == len(LONG)
    assert datetime.fromisoformat(body["summary"]["last_seen"]) == LONG[-1].occurred_at
    whole = world.timeline(world.shop, "SKU-LONG", limit=len(LONG)).json()
    assert whole["truncated"] is False
    assert len(whole["events"]) == len(LONG)


def test_a_licence_cannot_read_another_licences_reference(world: World) -> None:
    assert world.timeline(world.other, "CMD-B").status_code == 200
    for licence, reference in ((world.shop, "CMD-B"), (world.other, "CMD-1")):
        response = world.timeline(licence, reference)
        assert response.status_code == 404
        detail = response.json()["detail"]
        assert detail["code"] == "reference_not_found"
        assert reference in detail["fr"]
        assert reference in detail["en"]


def test_a_reference_is_validated_like_a_report_line_s(world: World) -> None:
    assert world.timeline(world.shop, "x" * 257).status_code == 422
    assert world.timeline(world.shop, "CMD-1", limit=0).status_code == 422


def interpolated(values: list[float], level: float) -> float:
    """The quantile ClickHouse's `quantiles` gives of a sample it holds whole: linear between
    the two nearest ranks."""
    ordered = sorted(values)
    position = level * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def test_trends_give_the_licence_s_time_to_success_quantiles(world: World) -> None:
    body = world.store.get(world.timing, "/v1/trends").json()
    week, month = body["time_to_success"]
    recent = [60.0 * k for k in range(1, 11)]
    assert (week["days"], week["references"], week["succeeded"]) == (7, 11, 10)
    assert week["p50_seconds"] == pytest.approx(interpolated(recent, 0.5))
    assert week["p95_seconds"] == pytest.approx(interpolated(recent, 0.95))
    older = recent + [3600.0] * 5
    assert (month["days"], month["references"], month["succeeded"]) == (30, 16, 15)
    assert month["p50_seconds"] == pytest.approx(interpolated(older, 0.5))
    assert month["p95_seconds"] == pytest.approx(interpolated(older, 0.95))


def test_a_licence_without_success_has_no_time_to_success(world: World) -> None:
    for figures in world.store.get(world.other, "/v1/trends").json()["time_to_success"]:
        assert (figures["references"], figures["succeeded"]) == (1, 1)
        assert figures["p50_seconds"] == 0
    body = world.store.get(world.shop, "/v1/trends").json()
    week = body["time_to_success"][0]
    # CMD-1 after 90 s, SKU-LONG at once; CMD-TIE and CMD-2 never.
    assert (week["references"], week["succeeded"]) == (4, 2)
    assert week["p50_seconds"] == pytest.approx(45)
    empty = world.store.licence("timeline empty")
    for figures in world.store.get(empty, "/v1/trends").json()["time_to_success"]:
        assert figures == {
            "days": figures["days"],
            "references": 0,
            "succeeded": 0,
            "p50_seconds": None,
            "p95_seconds": None,
        }
