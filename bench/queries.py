"""`ero-bench queries`: the query API over N synthetic events, against the raw SQL behind it.

Loads N events (1 000 licences, 10 per licence = 10 000 connectors, over 30 days, one licence
holding 2 % of them, one in 20 of the others silent for the last 2 days) into its own chdb
generated inside ClickHouse (INSERT ... SELECT FROM numbers, deterministic), then times each
endpoint over HTTP and the same statements run directly, in the same process: the merchant's
endpoints, and the vendor's console over the whole fleet (error groups ranked by licences, one
group's licences and versions, the licences' page, the silent licences, the support inbox).
Progress goes to stderr, the table to stdout.
"""

from __future__ import annotations

import asyncio
import secrets
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench.console import show_count
from bench.measure import rss_mb
from ero.api import ApiState, api_server, create_api, read_only_state
from ero.settings import Settings
from infra.broker import free_port
from infra.clickhouse import ClickHouse
from ingest.fleet import percentile
from licences import Credentials, LicenceStore
from processors.fingerprint import fingerprint, template
from projections.migrations import migrate
from query_api.dashboard import groups_statement, independent_statements
from query_api.filters import ReportFilters, iso
from query_api.groups import fleet_groups_statement
from query_api.reports import report_statement
from query_api.scope import Statement
from query_api.series import series_statement
from query_api.timeline import time_to_success_statement
from query_api.windows import Window, floor_to
from schemas.text import fold

LICENCES = 1_000
MEASURED_LICENCES = 20  # licences with keys; the others hold data only
CHUNK = 2_000_000
SPREAD = timedelta(days=30)
SILENCE = timedelta(days=2)  # how long the silent licences have been silent
LAYOUT = 2  # of the generated dataset: one saved with another is loaded again
HOUR = timedelta(hours=1)

# (operation, level, origin, message with <ref>, remediation hint)
_TEMPLATES = (
    ("order.import", "success", "connector", "Commande <ref> importée dans Sage 100", ""),
    ("order.import", "success", "connector", "Commande <ref> créée dans EBP Gestion", ""),
    ("stock.export", "success", "connector", "Stock mis à jour pour l'article <ref>", ""),
    ("price.export", "success", "connector", "Prix de l'article <ref> publiés sur la boutique", ""),
    ("customer.import", "success", "connector", "Client <ref> synchronisé", ""),
    ("product.export", "success", "connector", "Produit <ref> exporté vers PrestaShop", ""),
    (
        "product.export",
        "alert",
        "cms",
        "Image introuvable pour le produit <ref>, produit publié sans image",
        "Ajoutez l'image dans la boutique",
    ),
    (
        "order.import",
        "alert",
        "erp",
        "Écart de TVA sur la commande <ref> : 20 % attendu, 5,5 % reçu",
        "Vérifiez le taux de TVA de l'article dans la gestion commerciale",
    ),
    (
        "order.import",
        "error",
        "erp",
        "L'article '<ref>' est absent de la gestion commerciale",
        "Créez l'article dans la gestion commerciale puis relancez la commande",
    ),
    (
        "stock.export",
        "error",
        "cms",
        "Échec de l'appel API PrestaShop (HTTP 500) pour <ref>",
        "Vérifiez que la boutique répond, puis relancez la synchronisation",
    ),
)
# Each column of sync_events the generator fills, by name: the INSERT names its columns, in the
# table's order as `DESCRIBE TABLE` gives it (so a column added by a migration can never shift
# the others), and `insert_statement` refuses to run when the table has a column this map does
# not know (a column the queries would read filled with its default is not a realistic dataset).
# An expression may use the other columns' names (ClickHouse resolves aliases in any order) and
# the subquery's n (the row number), t (the template, 1-based).
GENERATED: dict[str, str] = {
    "licence_id": "licences[1 + if(n % 50 = 0, 0, cityHash64(n, 1) % {licence_count:UInt32})]",
    "connector_id": "concat(licence_id, '-c', toString(cityHash64(n, 2) % 10))",
    "event_id": "reinterpretAsUUID(concat(reinterpretAsString(cityHash64(n, 3)),"
    " reinterpretAsString(cityHash64(n, 4))))",
    "occurred_at": "{now:DateTime64(3, 'UTC')}"
    " - toIntervalMillisecond(cityHash64(n, 5) % {spread_ms:UInt64}"
    " + if(startsWith(licence_id, 'bench-licence-') AND cityHash64(licence_id) % 20 = 0,"
    " {silence_ms:UInt64}, 0))",
    "received_at": "occurred_at + toIntervalSecond(1)",
    "operation": "operations[t]",
    "reference": "concat('CMD-', leftPad(toString(cityHash64(n, 6) % 10000000), 7, '0'))",
    "status": "statuses[t]",
    "code": "''",
    "message": "replaceOne(messages[t], '<ref>', reference)",
    "message_folded": "replaceOne(folded[t], '<ref>', lower(reference))",
    "sync_id": "concat('run-', toString(intDiv(n, 200)))",
    "config_id": "concat('cfg-', toString(cityHash64(n, 7) % 3))",
    # SyncEvent v2 measures how long the line's operation took; v1 lines (here: a third) did not.
    "duration_ms": "if(n % 3 = 0, NULL, toUInt32(20 + cityHash64(n, 10) % 2000))",
    "attributes": "map()",
    "level": "levels[t]",
    "origin": "origins[t]",
    "rule_id": "concat('bench.', toString(t))",
    "rule_version": "1",
    "fingerprint": "fingerprints[t]",
    "message_template": "message_templates[t]",
    "remediation_hint": "hints[t]",
    "remediation_hint_en": "hints_en[t]",
    "remediation_url": "if(hints[t] = '', '', 'https://kb.example/fix')",
    "remediation_action": "''",
    "version": "toUInt64(toUnixTimestamp64Milli(received_at))",
}

_INSERT = """
INSERT INTO sync_events ({columns})
WITH
    {{licences:Array(String)}} AS licences,
    {{operations:Array(String)}} AS operations,
    {{statuses:Array(String)}} AS statuses,
    {{levels:Array(String)}} AS levels,
    {{origins:Array(String)}} AS origins,
    {{messages:Array(String)}} AS messages,
    {{folded:Array(String)}} AS folded,
    {{message_templates:Array(String)}} AS message_templates,
    {{hints:Array(String)}} AS hints,
    {{hints_en:Array(String)}} AS hints_en,
    {{fingerprints:Array(UInt64)}} AS fingerprints,
    {{by_level:Array(Array(UInt8))}} AS by_level
SELECT
    {expressions}
FROM (
    -- Levels by weight: 85 % success, 10 % alerts, 5 % errors; then a template of that level.
    SELECT number AS n, cityHash64(n, 8) % 100 AS p, if(p < 85, 1, if(p < 95, 2, 3)) AS l,
        1 + by_level[l][1 + cityHash64(n, 9) % length(by_level[l])] AS t
    FROM numbers({{start:UInt64}}, {{count:UInt64}})
)
"""


class GeneratorOutOfDate(RuntimeError):
    """sync_events has columns the generator does not fill, or lost some it fills."""


def insert_statement(clickhouse: ClickHouse) -> str:
    """The generator's INSERT ... SELECT for the table as migrated: every column the table
    stores (not computed by the table itself), named, in the table's order."""
    described = clickhouse.rows("DESCRIBE TABLE sync_events")
    stored = [name for name, _, default_kind, *_ in described if default_kind == ""]
    unknown = [name for name in stored if name not in GENERATED]
    gone = sorted(set(GENERATED) - {name for name, *_ in described})
    if unknown or gone:
        raise GeneratorOutOfDate(
            "bench/queries.py GENERATED is out of date with sync_events: "
            + "; ".join(
                part
                for part in (
                    f"no expression for {', '.join(unknown)}" if unknown else "",
                    f"no such column {', '.join(gone)}" if gone else "",
                )
                if part
            )
        )
    return _INSERT.format(
        columns=", ".join(stored),
        expressions=",\n    ".join(f"{GENERATED[name]} AS {name}" for name in stored),
    )


# What the connectors write in `status` for each level (SyncEvent's status is theirs).
_STATUSES = {"success": "ok", "alert": "warning", "error": "error"}
_HINTS_EN = {
    "": "",
    "Ajoutez l'image dans la boutique": "Add the image in the shop",
    "Vérifiez le taux de TVA de l'article dans la gestion commerciale": (
        "Check the item's VAT rate in the ERP"
    ),
    "Créez l'article dans la gestion commerciale puis relancez la commande": (
        "Create the item in the ERP, then import the order again"
    ),
    "Vérifiez que la boutique répond, puis relancez la synchronisation": (
        "Check that the shop answers, then run the synchronisation again"
    ),
}
_SAMPLE_REFERENCE = "CMD-0000001"  # the shape of the generated references


def _template_parameters() -> dict[str, Any]:
    levels = [t[1] for t in _TEMPLATES]
    # Template and fingerprint as the classifier derives them from a real message (the masked
    # reference included), so error groups look as they do in production.
    templates = [template(t[3].replace("<ref>", _SAMPLE_REFERENCE)) for t in _TEMPLATES]
    return {
        "operations": [t[0] for t in _TEMPLATES],
        "statuses": [_STATUSES[level] for level in levels],
        "levels": levels,
        "origins": [t[2] for t in _TEMPLATES],
        "messages": [t[3] for t in _TEMPLATES],
        "folded": [fold(t[3]) for t in _TEMPLATES],
        "message_templates": templates,
        "hints": [t[4] for t in _TEMPLATES],
        "hints_en": [_HINTS_EN[t[4]] for t in _TEMPLATES],
        "fingerprints": [
            fingerprint(t[0], t[2], found) for t, found in zip(_TEMPLATES, templates, strict=True)
        ],
        "by_level": [
            [i for i, level in enumerate(levels) if level == wanted]
            for wanted in ("success", "alert", "error")
        ],
    }


@dataclass(frozen=True)
class Dataset:
    events: int
    loaded_at: datetime
    credentials: list[Credentials]  # [0] is the big licence (2 % of all events)

    def save(self, path: Path) -> None:
        path.write_bytes(
            orjson.dumps(
                {
                    "layout": LAYOUT,
                    "events": self.events,
                    "loaded_at": self.loaded_at.isoformat(),
                    "credentials": [c.model_dump() for c in self.credentials],
                }
            )
        )

    @staticmethod
    def load(path: Path) -> Dataset | None:
        if not path.exists():
            return None
        raw = orjson.loads(path.read_bytes())
        if raw.get("layout") != LAYOUT:
            return None
        return Dataset(
            raw["events"],
            datetime.fromisoformat(raw["loaded_at"]),
            [Credentials.model_validate(c) for c in raw["credentials"]],
        )


def load(clickhouse: ClickHouse, events: int, dataset_file: Path) -> Dataset:
    """The dataset of N events: the one already loaded, or a fresh one."""
    existing = Dataset.load(dataset_file)
    stored = clickhouse.rows("SELECT count() FROM sync_events")[0][0]
    if existing is not None and existing.events == events == stored:
        sys.stderr.write(f"reusing the {events:,} events loaded at {existing.loaded_at}\n")
        return existing
    for table in (
        "sync_events",
        "sync_minutes",
        "fingerprint_minutes",
        "run_minutes",
        "licences",
        "licence_keys",
    ):
        clickhouse.command(f"TRUNCATE TABLE {table}")
    store = LicenceStore(clickhouse)
    credentials = [store.create(f"bench {i}") for i in range(MEASURED_LICENCES)]
    ids = [c.licence_id for c in credentials]
    ids += [f"bench-licence-{i:04d}" for i in range(len(ids), LICENCES)]
    now = datetime.now(UTC)
    data_only = ids[MEASURED_LICENCES:]
    created = [now - SPREAD - SILENCE] * len(data_only)
    clickhouse.insert_columns(
        "licences",
        ("licence_id", "name", "status", "created_at", "updated_at"),
        (
            data_only,
            [f"bench shop {i[-4:]}" for i in data_only],
            ["active"] * len(data_only),
            created,
            created,
        ),
    )
    parameters = {
        **_template_parameters(),
        "licences": ids,
        "licence_count": LICENCES,
        "now": now.replace(tzinfo=None),
        "spread_ms": int(SPREAD.total_seconds() * 1000),
        "silence_ms": int(SILENCE.total_seconds() * 1000),
    }
    insert = insert_statement(clickhouse)
    started = time.perf_counter()
    for start in range(0, events, CHUNK):
        clickhouse.command(
            insert, {**parameters, "start": start, "count": min(CHUNK, events - start)}
        )
        show_count("loading", min(start + CHUNK, events), events)
    sys.stderr.write(f"\nloaded in {time.perf_counter() - started:.0f} s; waiting for merges\n")
    _settle(clickhouse)
    dataset = Dataset(events, now, credentials)
    dataset.save(dataset_file)
    return dataset


def _settle(clickhouse: ClickHouse, quiet_seconds: float = 5.0, timeout: float = 900.0) -> None:
    """Wait until background merges have been idle for a while (measure a settled table)."""
    deadline = time.monotonic() + timeout
    quiet_since = time.monotonic()
    while time.monotonic() < deadline:
        merging, parts = clickhouse.rows(
            "SELECT (SELECT count() FROM system.merges),"
            " (SELECT count() FROM system.parts WHERE active AND table = 'sync_events')"
        )[0]
        sys.stderr.write(f"\rmerges running {merging}, sync_events parts {parts}   ")
        if merging:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= quiet_seconds:
            break
        time.sleep(1)
    sys.stderr.write("\n")


@dataclass(frozen=True)
class Case:
    """One endpoint call and the statements it runs, for repetition i (none: an endpoint
    whose statements depend on each other's answers; its SQL is not timed apart)."""

    name: str
    big: bool  # on the licence holding 2 % of all events, else on ordinary ones in turn
    request: Callable[[int], tuple[str, dict[str, Any]]]
    statements: Callable[[int], list[Statement]]
    operator: bool = False
    """Called by the vendor's operator (the console), not by a licence's reader."""


@dataclass(frozen=True)
class Figure:
    name: str
    api: list[float]
    raw: list[float]

    def row(self) -> str:
        api50 = _ms(self.api, 0.5)
        if not self.raw:
            return f"| {self.name} | {api50:.1f} | {_ms(self.api, 0.95):.1f} | n/a | n/a | n/a |"
        raw50 = _ms(self.raw, 0.5)
        return (
            f"| {self.name} | {api50:.1f} | {_ms(self.api, 0.95):.1f} | {raw50:.1f}"
            f" | {_ms(self.raw, 0.95):.1f} | {api50 / raw50:.2f}x |"
        )


def _ms(samples: list[float], share: float) -> float:
    return percentile(samples, share) * 1000


class Bench:
    def __init__(
        self, clickhouse: ClickHouse, dataset: Dataset, api_url: str, operator_token: str
    ) -> None:
        self.clickhouse = clickhouse
        self.dataset = dataset
        self.api_url = api_url
        self.operator_token = operator_token
        # Windows end when the data was generated, so a reused dataset is measured alike later.
        self.now = dataset.loaded_at
        self.references = {
            c.licence_id: clickhouse.rows(
                "SELECT reference FROM sync_events WHERE licence_id = {l:String}"
                " ORDER BY cityHash64(reference) LIMIT 50",
                {"l": c.licence_id},
            )
            for c in dataset.credentials
        }

    def licence(self, i: int, big: bool = False) -> Credentials:
        credentials = self.dataset.credentials
        return credentials[0] if big else credentials[1 + i % (len(credentials) - 1)]

    def reference(self, i: int, big: bool = False) -> str:
        found = self.references[self.licence(i, big).licence_id]
        return str(found[i % len(found)][0])

    def window(self, span: timedelta) -> Window:
        until = floor_to(self.now, timedelta(minutes=1)) + timedelta(minutes=1)
        return Window(since=until - span, until=until)

    def window_query(self, span: timedelta) -> dict[str, Any]:
        window = self.window(span)
        return {"since": iso(window.since), "until": iso(window.until)}

    def reports(
        self, name: str, filters: Callable[[int], ReportFilters], big: bool = False
    ) -> Case:
        def request(i: int) -> tuple[str, dict[str, Any]]:
            return "/v1/reports", {**filters(i).query(), "limit": 50}

        def statements(i: int) -> list[Statement]:
            return [report_statement(self.licence(i, big).licence_id, filters(i), 51, None)]

        return Case(name, big, request, statements)

    def dashboard(self, big: bool) -> Case:
        return Case(
            "dashboard 48h" + (" (big licence)" if big else ""),
            big,
            lambda i: ("/v1/dashboard", self.window_query(48 * HOUR)),
            lambda i: self.dashboard_statements(self.licence(i, big).licence_id),
        )

    def dashboard_statements(self, licence_id: str) -> list[Statement]:
        """The dashboard's reads of a licence without group states (the bench sets none)."""
        window = self.window(48 * HOUR)
        return [
            *independent_statements(licence_id, window, self.now),
            groups_statement(licence_id, window),
        ]

    def cases(self) -> list[Case]:
        since48 = self.now - timedelta(hours=48)
        week = self.window(7 * 24 * HOUR)
        return [
            self.dashboard(False),
            self.dashboard(True),
            self.reports("reference lookup", lambda i: ReportFilters(reference=self.reference(i))),
            self.reports(
                "reference lookup (big licence)",
                lambda i: ReportFilters(reference=self.reference(i, True)),
                big=True,
            ),
            self.reports(
                "reference prefix",
                lambda i: ReportFilters(reference_prefix=self.reference(i)[:8]),
            ),
            self.reports(
                "message search 48h", lambda i: ReportFilters(q="absent gestion", since=since48)
            ),
            self.reports(
                "message search 48h (big licence)",
                lambda i: ReportFilters(q="absent gestion", since=since48),
                big=True,
            ),
            self.reports(
                "message search 30 d, errors",
                lambda i: ReportFilters(q="prestashop", level=["error"]),
            ),
            self.reports("report first page", lambda i: ReportFilters()),
            *self.console_cases(),
            Case(
                "trends 7d by hour",
                False,
                lambda i: ("/v1/trends", {**self.window_query(7 * 24 * HOUR), "interval": "1h"}),
                lambda i: [
                    series_statement(self.licence(i).licence_id, ReportFilters(), week, HOUR),
                    time_to_success_statement(self.licence(i).licence_id, week.until),
                ],
            ),
        ]

    def console_cases(self) -> list[Case]:
        """The vendor's console, over the whole fleet."""
        day, week = self.window(24 * HOUR), self.window(7 * 24 * HOUR)
        top = fleet_groups_statement(day.since, day.until, 1)
        ranked = self.clickhouse.rows(top.sql, top.parameters)

        def groups(name: str, window: Window) -> Case:
            return Case(
                name,
                False,
                lambda i: ("/v1/admin/groups", self.window_query(window.until - window.since)),
                lambda i: [fleet_groups_statement(window.since, window.until, 50)],
                operator=True,
            )

        def api_only(name: str, path: str, params: dict[str, Any]) -> Case:
            return Case(name, False, lambda i: (path, params), lambda i: [], operator=True)

        detail = (
            [
                api_only(
                    "console: one group, its licences and versions involved (4 statements)",
                    f"/v1/admin/groups/{ranked[0][0]}",  # the fleet's top group of the last 24 h
                    self.window_query(24 * HOUR),
                )
            ]
            if ranked
            else []
        )
        return [
            groups("console: error groups 24 h, ranked by licences", day),
            groups("console: error groups 7 d, ranked by licences", week),
            *detail,
            api_only(
                "console: licences, first page (status, last sync, versions, owners)",
                "/v1/admin/licences",
                {"limit": 50},
            ),
            api_only(
                "console: silent licences 24 h, first page",
                "/v1/admin/licences",
                {"limit": 50, "silent_hours": 24},
            ),
            api_only("console: support inbox, first page", "/v1/admin/tickets", {}),
        ]

    def run(self, case: Case, repeat: int, client: httpx.Client) -> Figure:
        api: list[float] = []
        raw: list[float] = []
        for i in range(-2, repeat):  # two warm-up calls
            path, params = case.request(i)
            token = self.operator_token if case.operator else self.licence(i, case.big).reader_token
            started = time.perf_counter()
            response = client.get(path, params=params, headers={"Authorization": f"Bearer {token}"})
            elapsed = time.perf_counter() - started
            if response.status_code != 200:
                raise RuntimeError(
                    f"{case.name}: GET {path} {response.status_code} {response.text}"
                )
            if i >= 0:
                api.append(elapsed)
            statements = case.statements(i)
            if not statements:
                continue
            started = time.perf_counter()
            asyncio.run(self._raw(statements))
            if i >= 0:
                raw.append(time.perf_counter() - started)
        return Figure(case.name, api, raw)

    async def _raw(self, statements: list[Statement]) -> None:
        # As the endpoint runs them: concurrently.
        await asyncio.gather(*(self.clickhouse.arows(s.sql, s.parameters) for s in statements))

    def export(self, client: httpx.Client) -> str:
        """Export every event of the big licence as CSV; rows, time and peak RSS growth."""
        token = self.dataset.credentials[0].reader_token
        before = rss_mb()
        peak = [before]
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], rss_mb())
                time.sleep(0.02)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        lines = 0
        started = time.perf_counter()
        with client.stream(
            "GET",
            "/v1/reports/export",
            params={"format": "csv"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=3600,
        ) as response:
            for chunk in response.iter_bytes():
                lines += chunk.count(b"\n")
        elapsed = time.perf_counter() - started
        done.set()
        sampler.join()
        rows = lines - 2
        return (
            f"export csv (big licence): {rows:,} rows in {elapsed:.1f} s"
            f" ({rows / elapsed:,.0f} rows/s); process RSS {before:.0f} MB before,"
            f" peak {peak[0]:.0f} MB (+{peak[0] - before:.0f} MB)"
        )


def _serve(state: ApiState) -> tuple[str, Callable[[], None]]:
    port = free_port()
    server = api_server(create_api(state), "127.0.0.1", port, hosted=False)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError(f"the benchmark API could not listen on 127.0.0.1:{port}")
        time.sleep(0.05)

    def stop() -> None:
        server.should_exit = True
        thread.join()

    return f"http://127.0.0.1:{port}", stop


def bench_queries(settings: Settings, events: int, repeat: int) -> str:
    root = settings.data_dir / "bench-queries"
    root.mkdir(parents=True, exist_ok=True)
    clickhouse = ClickHouse(f"chdb://{(root / 'clickhouse').resolve()}")
    migrate(clickhouse, settings.retention_days, settings.rollup_retention_days)
    dataset = load(clickhouse, events, root / "dataset.json")
    operator_token = "ero_op_" + secrets.token_urlsafe(16)
    url, stop = _serve(read_only_state(settings, clickhouse, operator_token))
    try:
        bench = Bench(clickhouse, dataset, url, operator_token)
        rows = []
        with httpx.Client(base_url=url, timeout=120) as client:
            for case in bench.cases():
                sys.stderr.write(f"measuring {case.name}\n")
                rows.append(bench.run(case, repeat, client).row())
            export_line = bench.export(client)
    finally:
        stop()
    big = clickhouse.rows(
        "SELECT count() FROM sync_events WHERE licence_id = {l:String}",
        {"l": dataset.credentials[0].licence_id},
    )[0][0]
    return "\n".join(
        [
            f"{events:,} events, {LICENCES:,} licences, {LICENCES * 10:,} connectors, over"
            f" {SPREAD.days} days; big licence {big:,} events; {repeat} calls each"
            f" (data up to {iso(bench.now)})",
            "",
            "| | API p50 ms | API p95 ms | SQL p50 ms | SQL p95 ms | API / SQL (p50) |",
            "|---|---|---|---|---|---|",
            *rows,
            "",
            export_line,
        ]
    )
