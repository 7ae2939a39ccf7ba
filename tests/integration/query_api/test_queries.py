"""The read side against a ground truth computed in Python: filters, pagination, dashboard,
trends, exports, replays and licence walls, on the real schema in a real chdb."""

from __future__ import annotations

import base64
import csv
import io
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import orjson
import pytest

from infra.clickhouse import ClickHouse
from licences import Credentials
from projections.migrations import migrate
from query_api import dashboard, export, reports
from query_api.filters import iso
from schemas import ClassifiedEvent, Level
from schemas.text import fold
from tests.support.query_store import Generator, QueryStore
from tests.support.readers import csv_export

NOW = datetime.now(UTC)


class World:
    def __init__(self, store: QueryStore) -> None:
        self.store = store
        self.shop = store.licence("shop")
        self.other = store.licence("other shop")
        store.write(self.shop.licence_id, Generator(1, NOW).events(2_500))
        store.write(self.other.licence_id, Generator(2, NOW).events(600))

    def events(self, licence: Credentials | None = None) -> list[ClassifiedEvent]:
        return [row.event for row in self.store.of(licence or self.shop)]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, clickhouse: ClickHouse) -> World:
    return World(QueryStore(clickhouse, tmp_path_factory.mktemp("queries")))


def ids(items: list[dict[str, Any]]) -> set[str]:
    return {item["event_id"] for item in items}


def event_ids(events: list[ClassifiedEvent]) -> set[str]:
    return {str(event.event_id) for event in events}


def linked(world: World, report_url: str) -> list[dict[str, Any]]:
    params = httpx.URL(report_url).params
    multi: dict[str, Any] = {}
    for key, value in params.multi_items():
        multi.setdefault(key, []).append(value)
    return world.store.all_items(world.shop, page=500, **multi)


HOUR_AGO = (NOW - timedelta(hours=1)).isoformat()
DAY_AGO = (NOW - timedelta(hours=24)).isoformat()
Predicate = Callable[[ClassifiedEvent], bool]


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


FILTER_CASES: list[tuple[dict[str, Any], Predicate]] = [
    ({"level": "error"}, lambda e: e.level == "error"),
    ({"level": ["alert", "error"]}, lambda e: e.level != "success"),
    ({"origin": ["cms", "erp"]}, lambda e: e.origin in ("cms", "erp")),
    ({"connector_id": "shop-b"}, lambda e: e.connector_id == "shop-b"),
    ({"config_id": "cfg-2"}, lambda e: e.config_id == "cfg-2"),
    (
        {"operation": ["price.export", "order.import"]},
        lambda e: e.operation in ("price.export", "order.import"),
    ),
    ({"sync_id": "run-3"}, lambda e: e.sync_id == "run-3"),
    ({"fingerprint": str(2**63 + 14)}, lambda e: e.fingerprint == 2**63 + 14),
    ({"reference": "CMD-0042"}, lambda e: e.reference == "CMD-0042"),
    ({"reference_prefix": "SKU-01"}, lambda e: e.reference.startswith("SKU-01")),
    ({"q": "ECART de tva"}, lambda e: "écart de tva" in e.message.lower()),
    ({"q": "100%_promo"}, lambda e: "100%_PROMO" in e.message),
    ({"q": "100%"}, lambda e: "100%" in e.message),  # % and _ are literal, not LIKE wildcards
    ({"q": "gestion   Commerciale"}, lambda e: "gestion commerciale" in fold(e.message)),
    ({"since": DAY_AGO, "until": HOUR_AGO}, lambda e: at(DAY_AGO) <= e.occurred_at < at(HOUR_AGO)),
    (
        {
            "level": "error",
            "origin": "erp",
            "connector_id": ["shop-a", "shop-c"],
            "operation": "order.import",
            "reference_prefix": "CMD",
            "q": "article",
            "since": DAY_AGO,
        },
        lambda e: (
            e.level == "error"
            and e.origin == "erp"
            and e.connector_id in ("shop-a", "shop-c")
            and e.operation == "order.import"
            and e.reference.startswith("CMD")
            and "article" in e.message
            and e.occurred_at >= at(DAY_AGO)
        ),
    ),
]


@pytest.mark.parametrize(("params", "predicate"), FILTER_CASES)
def test_every_filter_selects_exactly_the_matching_events(
    world: World, params: dict[str, Any], predicate: Predicate
) -> None:
    wanted = event_ids([e for e in world.events() if predicate(e)])
    assert wanted, "a filter case must select something"
    assert ids(world.store.all_items(world.shop, page=500, **params)) == wanted


def test_pages_are_newest_first_and_never_repeat_or_skip(world: World) -> None:
    items = world.store.all_items(world.shop, page=37)
    # Ties on occurred_at are broken by event_id in ClickHouse's UUID order, not the string's.
    times = [at(i["occurred_at"]) for i in items]
    assert times == sorted(times, reverse=True)
    assert len(ids(items)) == len(items) == len(world.events())
    assert ids(items) == event_ids(world.events())
    assert len(times) > len(set(times)), "the data must hold occurred_at ties"


def test_pagination_with_concurrent_inserts_never_skips_or_repeats(world: World) -> None:
    store, shop = world.store, world.shop
    before = event_ids(world.events())
    generator = Generator(3, NOW)
    seen: list[dict[str, Any]] = []
    for index, item in enumerate(store.pages(shop, page=200, level="alert")):
        seen.append(item)
        if index % 200 == 0:  # between pages: new events newer, older and at the cursor
            cursor_at = at(item["occurred_at"])
            store.write(
                shop.licence_id,
                [
                    *generator.events(40),
                    generator.event(cursor_at),
                    generator.event(cursor_at + timedelta(milliseconds=1)),
                    generator.event(cursor_at - timedelta(milliseconds=1)),
                ],
            )
    got = [i["event_id"] for i in seen]
    assert len(got) == len(set(got)), "an event was listed twice"
    alerts_before = before & event_ids([e for e in world.events() if e.level == "alert"])
    assert alerts_before <= set(got), "an event stored before paging started was skipped"
    times = [at(i["occurred_at"]) for i in seen]
    assert times == sorted(times, reverse=True)


def test_dashboard_matches_ground_truth_and_links_to_exactly_those_events(world: World) -> None:
    body = world.store.get(world.shop, "/v1/dashboard").json()
    since, until = at(body["since"]), at(body["until"])
    assert until - since == timedelta(hours=48)
    assert since.second == until.second == 0
    window = [e for e in world.events() if since <= e.occurred_at < until]
    levels = Counter(e.level.value for e in window)
    assert {level: c["count"] for level, c in body["levels"].items()} == {
        level.value: levels[level.value] for level in Level
    }
    for level, count in body["levels"].items():
        assert ids(linked(world, count["report_url"])) == event_ids(
            [e for e in window if e.level == level]
        )
    assert {c["connector_id"] for c in body["connectors"]} == {e.connector_id for e in window}
    for connector in body["connectors"]:
        mine = [e for e in window if e.connector_id == connector["connector_id"]]
        assert at(connector["last_event_at"]) == max(e.occurred_at for e in mine)
        synced = max((e.occurred_at, e.sync_id) for e in mine if e.sync_id)
        assert (at(connector["last_sync"]["at"]), connector["last_sync"]["sync_id"]) == synced
        assert synced[1] in {
            i["sync_id"] for i in linked(world, connector["last_sync"]["report_url"])
        }
        for level, count in connector["levels"].items():
            wanted = event_ids([e for e in mine if e.level == level])
            assert count["count"] == len(wanted)
            assert ids(linked(world, count["report_url"])) == wanted


def test_top_error_groups_count_and_link_their_events(world: World) -> None:
    body = world.store.get(world.shop, "/v1/dashboard", window="7d").json()
    since, until = at(body["since"]), at(body["until"])
    window = [e for e in world.events() if since <= e.occurred_at < until]
    expected = Counter((str(e.fingerprint), e.level.value) for e in window if e.level != "success")
    groups = body["top_error_groups"]
    # Errors first, then alerts; in each level the most frequent first.
    assert [(g["fingerprint"], g["level"], g["events"]["count"]) for g in groups] == sorted(
        ((f, lvl, n) for (f, lvl), n in expected.items()),
        key=lambda t: (t[1] != "error", -t[2], int(t[0])),
    )
    assert {g["level"] for g in groups} == {"error", "alert"}
    for group in groups:
        members = [
            e
            for e in window
            if str(e.fingerprint) == group["fingerprint"] and e.level == group["level"]
        ]
        latest = max(members, key=lambda e: e.occurred_at)
        assert (at(group["last_event_at"]), group["message"]) == (
            latest.occurred_at,
            latest.message,
        )
        assert group["remediation"]["url"] == "https://kb.example/fix"
        assert (group["remediation"]["hint"], group["remediation"]["hint_en"]) == (
            "Vérifiez la fiche",
            "Check the record",
        )
        assert ids(linked(world, group["events"]["report_url"])) == event_ids(members)


@pytest.mark.parametrize("interval", ["15m", "1h", "6h"])
def test_trends_count_every_event_once_in_its_bucket(world: World, interval: str) -> None:
    body = world.store.get(
        world.shop, "/v1/trends", window="48h", interval=interval, connector_id="shop-a"
    ).json()
    since, until = at(body["since"]), at(body["until"])
    window = [
        e for e in world.events() if since <= e.occurred_at < until and e.connector_id == "shop-a"
    ]
    for level in Level:
        points = body["series"][level.value]
        starts = [at(p["at"]) for p in points]
        assert starts == sorted(starts)
        assert starts[0] <= since < starts[1]
        assert starts[-1] < until
        for point in points:
            start = at(point["at"])
            inside = [
                e
                for e in window
                if e.level == level and start <= e.occurred_at < start + (starts[1] - starts[0])
            ]
            assert point["count"] == len(inside)
        assert sum(p["count"] for p in points) == sum(e.level == level for e in window)
    busiest = max(body["series"]["error"], key=lambda p: p["count"])
    assert len(linked(world, busiest["report_url"])) == busiest["count"] > 0


def test_dashboard_hourly_series_sums_to_its_totals(world: World) -> None:
    body = world.store.get(world.shop, "/v1/dashboard", window="24h").json()
    for level, points in body["hourly"].items():
        assert len(points) in (24, 25)  # a window not on whole hours spans 25 hourly buckets
        assert sum(p["count"] for p in points) == body["levels"][level]["count"]


def _export(world: World, licence: Credentials, **params: Any) -> bytes:
    content: bytes = world.store.get(licence, "/v1/reports/export", **params).content
    return content


def test_ndjson_export_equals_the_report_and_starts_with_its_filters(world: World) -> None:
    params = {"level": ["alert", "error"], "q": "commande", "since": DAY_AGO}
    report = world.store.all_items(world.shop, page=500, **params)
    lines = _export(world, world.shop, format="ndjson", **params).splitlines()
    about = orjson.loads(lines[0])["export"]
    assert about["licence_id"] == world.shop.licence_id
    assert about["filters"] == {
        "level": ["alert", "error"],
        "q": "commande",
        "since": iso(at(DAY_AGO)),
    }
    assert [orjson.loads(line) for line in lines[1:]] == report
    assert report


def test_csv_export_equals_the_report(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(export, "EXPORT_PAGE", 100)  # many pages from a small set
    report = world.store.all_items(world.shop, page=500, connector_id="shop-c")
    body = _export(world, world.shop, format="csv", connector_id="shop-c")
    assert body.startswith(b'"# ero export ')
    about, (columns, *cells) = csv_export(body)
    assert about["filters"] == {"connector_id": ["shop-c"]}
    rows = [dict(zip(columns, row, strict=True)) for row in cells]
    assert len(rows) == len(report) > 300
    for row, item in zip(rows, report, strict=True):
        assert row["event_id"] == item["event_id"]
        assert at(row["occurred_at"]) == at(item["occurred_at"])
        assert (row["message"], row["level"], row["reference"]) == (
            item["message"],
            item["level"],
            item["reference"],
        )
        assert row["remediation_url"] == (item["remediation"]["url"] or "")
        assert (orjson.loads(row["attributes"]) if row["attributes"] else {}) == item["attributes"]


def test_the_excel_fr_export_speaks_french_in_the_merchants_time_zone(world: World) -> None:
    report = world.store.all_items(world.shop, page=500, connector_id="shop-c")
    body = _export(
        world,
        world.shop,
        format="csv",
        dialect="excel-fr",
        tz="Europe/Paris",
        connector_id="shop-c",
    )
    assert body.startswith("\ufeff".encode() + b'"# ero export ')
    _, (columns, *cells) = csv_export(body, ";")
    assert columns == [export.FRENCH_COLUMNS[c] for c in export.CSV_COLUMNS]
    assert columns[:5] == ["Date", "Reçu le", "Identifiant", "Connecteur", "Niveau"]
    rows = [dict(zip(columns, row, strict=True)) for row in cells]
    assert len(rows) == len(report)
    paris = ZoneInfo("Europe/Paris")
    french = {"success": "Succès", "alert": "Alerte", "error": "Erreur"}
    for row, item in zip(rows, report, strict=True):
        local = datetime.strptime(row["Date"], "%d/%m/%Y %H:%M:%S").replace(tzinfo=paris)
        assert local == at(item["occurred_at"]).replace(microsecond=0)
        assert (row["Identifiant"], row["Niveau"]) == (item["event_id"], french[item["level"]])


def test_a_reports_page_counts_every_page_of_its_query_up_to_a_cap(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    everything = world.store.all_items(world.shop, page=500)
    errors = [item for item in everything if item["level"] == "error"]
    page = world.store.get(world.shop, "/v1/reports", level="error", limit=5).json()
    assert (page["total"], page["total_capped"]) == (len(errors), False)
    later = world.store.get(
        world.shop, "/v1/reports", level="error", limit=5, cursor=page["next_cursor"]
    ).json()
    assert later["total"] == len(errors)  # the query's total, not what is left
    monkeypatch.setattr(reports, "COUNT_CAP", 7)
    capped = world.store.get(world.shop, "/v1/reports", limit=5).json()
    assert (capped["total"], capped["total_capped"]) == (7, True)


def test_the_connectors_are_the_licences_own_by_name(world: World) -> None:
    listed = world.store.get(world.other, "/v1/connectors").json()
    theirs = sorted({e.connector_id for e in world.events(world.other)})
    assert [c["connector_id"] for c in listed["connectors"]] == theirs
    assert listed["truncated"] is False


def test_replayed_and_resent_events_are_counted_once_everywhere(world: World) -> None:
    store = world.store
    licence = store.licence("replays")
    events = Generator(4, NOW).events(300)
    assert store.write(licence.licence_id, events) == 300
    assert store.write(licence.licence_id, events) == 0  # the same batches replayed
    fresh = Generator(5, NOW).events(10)
    # A batch repeating an event inside itself, mixed with old ones: only the new ones count.
    assert store.write(licence.licence_id, [*events[:50], fresh[0], fresh[0], *fresh[1:]]) == 10
    dashboard = store.get(licence, "/v1/dashboard").json()
    since = at(dashboard["since"])
    truth = Counter(e.level.value for e in [*events, *fresh] if e.occurred_at >= since)
    assert {lvl: c["count"] for lvl, c in dashboard["levels"].items()} == {
        level.value: truth[level.value] for level in Level
    }
    trends = store.get(licence, "/v1/trends", window="7d", interval="1d").json()
    assert {lvl: sum(p["count"] for p in ps) for lvl, ps in trends["series"].items()} == {
        level.value: sum(e.level == level for e in [*events, *fresh]) for level in Level
    }
    groups = dashboard["top_error_groups"]
    assert sum(g["events"]["count"] for g in groups) == truth["alert"] + truth["error"]
    raw, rolled = store.clickhouse.rows(
        "SELECT (SELECT count() FROM sync_events WHERE licence_id = {l:String}),"
        " (SELECT sum(events) FROM sync_minutes WHERE licence_id = {l:String})",
        {"l": licence.licence_id},
    )[0]
    assert raw == rolled == 310


def test_every_endpoint_sees_its_own_licence_only(world: World) -> None:
    store, other = world.store, world.other
    theirs = world.events(other)
    mine = event_ids(world.events())
    assert ids(store.all_items(other, page=500)) == event_ids(theirs)
    assert ids(store.all_items(other, page=500, reference_prefix="CMD")) == event_ids(
        [e for e in theirs if e.reference.startswith("CMD")]
    )
    for shared in [e.reference for e in world.events()[:20]]:
        assert ids(store.all_items(other, reference=shared)) == event_ids(
            [e for e in theirs if e.reference == shared]
        )
    dashboard = store.get(other, "/v1/dashboard", window="7d").json()
    assert sum(c["count"] for c in dashboard["levels"].values()) == len(theirs)
    assert {c["connector_id"] for c in dashboard["connectors"]} == {e.connector_id for e in theirs}
    assert sum(g["events"]["count"] for g in dashboard["top_error_groups"]) <= len(theirs)
    trends = store.get(other, "/v1/trends", window="7d").json()
    assert sum(p["count"] for ps in trends["series"].values() for p in ps) == len(theirs)
    for format in ("ndjson", "csv"):
        exported = _export(world, other, format=format).decode()
        assert len(exported.splitlines()) == len(theirs) + (1 if format == "ndjson" else 2)
        assert not any(event_id in exported for event_id in mine)


@pytest.mark.parametrize(
    ("path", "params", "name", "hint"),
    [
        ("/v1/reports", {"level": "fatal"}, "level", "'success', 'alert' or 'error'"),
        ("/v1/reports", {"origin": "shop"}, "origin", "'cms', 'erp' or 'connector'"),
        ("/v1/reports", {"limit": 501}, "limit", "500"),
        ("/v1/reports", {"cursor": "bm9wZQ"}, "cursor", "next_cursor"),
        (
            "/v1/reports",
            {"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"},
            "until",
            "after since",
        ),
        ("/v1/reports", {"fingerprint": "-1"}, "fingerprint", "0"),
        ("/v1/reports/export", {"format": "xlsx"}, "format", "'csv' or 'ndjson'"),
        ("/v1/reports/export", {"dialect": "excel"}, "dialect", "'standard' or 'excel-fr'"),
        ("/v1/reports/export", {"tz": "Mars/Olympus"}, "tz", "Europe/Paris"),
        ("/v1/reports/export", {"tz": "../../etc/passwd"}, "tz", "Europe/Paris"),
        ("/v1/dashboard", {"window": "2d"}, "window", "'1h', '24h', '48h', '7d' or '30d'"),
        (
            "/v1/dashboard",
            {"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"},
            "until",
            "after since",
        ),
        ("/v1/trends", {"interval": "2h"}, "interval", "'1m', '5m', '15m', '1h', '6h' or '1d'"),
        ("/v1/trends", {"window": "30d", "interval": "1m"}, "interval", "1h, 6h, 1d"),
        ("/v1/trends", {"level": "fatal"}, "level", "'success', 'alert' or 'error'"),
    ],
)
def test_bad_parameters_are_422_naming_the_parameter_and_allowed_values(
    world: World, path: str, params: dict[str, Any], name: str, hint: str
) -> None:
    response = world.store.api.get(
        path, params=params, headers={"Authorization": f"Bearer {world.shop.reader_token}"}
    )
    assert response.status_code == 422, response.text
    errors = [e for e in response.json()["detail"] if e["loc"][1] == name]
    assert errors, response.text
    assert hint in errors[0]["msg"], errors[0]["msg"]


def test_migrations_are_idempotent(world: World) -> None:
    settings = world.store.settings
    clickhouse = world.store.clickhouse
    assert migrate(clickhouse, settings.retention_days, settings.rollup_retention_days) == []
    tables = {row[0] for row in clickhouse.rows("SELECT name FROM system.tables")}
    assert {"sync_events", "sync_minutes", "fingerprint_minutes"} <= tables
    applied = clickhouse.rows("SELECT version FROM schema_migrations FINAL")
    assert {1, 2, 10} <= {version for (version,) in applied}


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@pytest.mark.parametrize(("dialect", "delimiter"), [("standard", ","), ("excel-fr", ";")])
def test_no_csv_dialect_hands_a_spreadsheet_a_formula(
    world: World, dialect: str, delimiter: str
) -> None:
    licence = world.store.licence(f"formulas {dialect}")
    message = '=HYPERLINK("https://evil.example");=1+1,"=2+2"'
    event = (
        Generator(6, NOW)
        .event()
        .model_copy(
            update={
                "message": message,
                "reference": "-1+1",
                "code": "@SUM(A1)",
                "sync_id": "\t=cmd",
                "duration_ms": 1500,
            }
        )
    )
    world.store.write(licence.licence_id, [event])
    # q reaches the header line: its delimiters must not split it into cells of their own.
    q = ';=1+1,"=2+2"'
    body = _export(world, licence, format="csv", dialect=dialect, q=q)
    about, (columns, *cells) = csv_export(body, delimiter)
    assert about["filters"] == {"q": q}
    every_cell = [
        cell
        for row in csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=delimiter)
        for cell in row
    ]
    assert not [cell for cell in every_cell if cell.startswith(FORMULA_STARTS)]
    english = {v: k for k, v in export.FRENCH_COLUMNS.items()}
    (row,) = [dict(zip([english.get(c, c) for c in columns], cells[0], strict=True))]
    assert (row["message"], row["reference"], row["code"], row["sync_id"]) == (
        "'" + message,
        "'-1+1",
        "'@SUM(A1)",
        "'\t=cmd",
    )
    assert row["duration_ms"] == "1500"  # numbers stay numbers


def _cursor(occurred_at: str) -> str:
    position = orjson.dumps([occurred_at, "00000000-0000-4000-8000-000000000000"])
    return base64.urlsafe_b64encode(position).decode().rstrip("=")


INSTANT_PATHS = (
    "/v1/reports",
    "/v1/reports/export",
    "/v1/dashboard",
    "/v1/trends",
    "/v1/groups",
    "/v1/admin/groups",
)
OUTSIDE = "1970-01-01T00:00:00Z .. 2100-01-01T00:00:00Z"
BAD_INSTANTS = [
    ("since", "0001-01-01T00:00:00+01:00", OUTSIDE),  # .NET's DateTime.MinValue, local time
    ("until", "9999-12-31T23:59:59-01:00", OUTSIDE),  # DateTime.MaxValue
    ("since", "0999-06-01T00:00:00Z", OUTSIDE),
    ("since", "2100-01-01T00:00:01Z", OUTSIDE),
    ("until", "0.5", "ISO 8601"),  # pydantic would read it as seconds since the epoch
    ("until", "1700000000", "ISO 8601"),
]


@pytest.mark.parametrize("path", INSTANT_PATHS)
@pytest.mark.parametrize(("name", "value", "hint"), BAD_INSTANTS)
def test_instants_outside_the_range_or_not_iso_are_422_naming_the_parameter(
    world: World, path: str, name: str, value: str, hint: str
) -> None:
    token = (
        world.store.state.operator_token
        if path.startswith("/v1/admin")
        else world.shop.reader_token
    )
    response = world.store.api.get(
        path, params={name: value}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 422, response.text
    (error,) = [e for e in response.json()["detail"] if e["loc"] == ["query", name]]
    assert hint in error["msg"], error["msg"]


@pytest.mark.parametrize(
    ("occurred_at", "hint"),
    [
        ("0001-01-01T00:00:00+01:00", OUTSIDE),
        ("9999-12-31T23:59:59-01:00", OUTSIDE),
        ("0500-01-01T00:00:00+00:00", OUTSIDE),
        ("0500-01-01T00:00:00", "next_cursor"),  # no offset: not a cursor we could have made
    ],
)
def test_a_forged_cursor_out_of_range_is_422_naming_the_cursor(
    world: World, occurred_at: str, hint: str
) -> None:
    response = world.store.api.get(
        "/v1/reports",
        params={"cursor": _cursor(occurred_at)},
        headers={"Authorization": f"Bearer {world.shop.reader_token}"},
    )
    assert response.status_code == 422, response.text
    (error,) = [e for e in response.json()["detail"] if e["loc"] == ["query", "cursor"]]
    assert hint in error["msg"], error["msg"]


def test_the_edges_of_the_range_are_accepted(world: World) -> None:
    for path in ("/v1/reports", "/v1/groups"):
        world.store.get(world.shop, path, since="1970-01-01T00:00:00Z")
        world.store.get(world.shop, path, until="2100-01-01T00:00:00Z", since=DAY_AGO)
    world.store.get(world.shop, "/v1/reports", cursor=_cursor("1970-01-01T00:00:00+00:00"))
    fleet = world.store.api.get(
        "/v1/admin/groups",
        params={"since": "1970-01-01T00:00:00Z"},
        headers={"Authorization": f"Bearer {world.store.state.operator_token}"},
    )
    assert fleet.status_code == 200, fleet.text
    groups = fleet.json()["groups"]
    assert groups
    assert all(g["licences_affected"] >= 1 for g in groups)
    assert all(g["connectors"] == sorted(g["connectors"])[:20] for g in groups)
    assert all(g["connectors_affected"] >= len(g["connectors"]) for g in groups)


def test_the_dashboard_refuses_a_window_past_its_bound_and_stays_small_within(
    world: World,
) -> None:
    response = world.store.api.get(
        "/v1/dashboard",
        params={"since": "2001-12-01T00:00:00Z"},
        headers={"Authorization": f"Bearer {world.shop.reader_token}"},
    )
    assert response.status_code == 422, response.text[:500]
    (error,) = [e for e in response.json()["detail"] if e["loc"] == ["query", "since"]]
    assert "31 days" in error["msg"]
    assert "/v1/trends" in error["msg"]
    widest = world.store.get(
        world.shop,
        "/v1/dashboard",
        since=(NOW - timedelta(days=31)).isoformat(),
        until=NOW.isoformat(),
    )
    body = widest.json()
    assert all(len(points) <= dashboard.MAX_HOURLY_POINTS for points in body["hourly"].values())
    assert sum(c["count"] for c in body["levels"].values()) == len(world.events())
    assert len(widest.content) < 2_000_000


def test_trends_past_every_interval_say_to_narrow_the_window(world: World) -> None:
    response = world.store.api.get(
        "/v1/trends",
        params={"since": "1970-01-01T00:00:00Z", "interval": "1d"},
        headers={"Authorization": f"Bearer {world.shop.reader_token}"},
    )
    assert response.status_code == 422, response.text[:500]
    (error,) = [e for e in response.json()["detail"] if e["loc"] == ["query", "interval"]]
    assert "narrow since..until" in error["msg"]


def test_the_dashboard_lists_at_most_its_bound_of_connectors_and_counts_them_all(
    world: World,
) -> None:
    licence = world.store.licence("fleet of connectors")
    generator = Generator(7, NOW)
    events = [
        generator.event(NOW - timedelta(minutes=n)).model_copy(update={"connector_id": f"c-{n:03}"})
        for n in range(dashboard.MAX_CONNECTORS + 5)
    ]
    world.store.write(licence.licence_id, events)
    body = world.store.get(licence, "/v1/dashboard").json()
    assert body["connectors_total"] == len(events)
    # The most recently active ones, by connector_id.
    assert [c["connector_id"] for c in body["connectors"]] == [
        f"c-{n:03}" for n in range(dashboard.MAX_CONNECTORS)
    ]
    assert sum(c["count"] for c in body["levels"].values()) == len(events)
