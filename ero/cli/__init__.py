"""`ero`: run the pipeline (whole or by role), manage licences, migrate, export schemas.

Errors a user can act on are printed as one line on stderr with exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import httpx
import orjson
from pydantic import ValidationError

from ero.secrets import operator_token
from ero.settings import ConfigurationError, Settings
from ero.storage import open_clickhouse
from infra.clickhouse import ClickHouseUnavailable
from infra.logs import configure_logging
from licences import Credentials, LicenceStore
from processors.catalog import Catalog, CatalogError, load_catalog, parse_catalog


class CliError(Exception):
    """A failure explained in one line."""


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        field = "ERO_" + str(first["loc"][0]).upper() if first["loc"] else "ERO_*"
        raise CliError(f"invalid setting {field}: {first['msg']}") from exc


def _api_url(settings: Settings) -> str:
    """The running pipeline's API (from its runtime file) or the configured one."""
    if settings.runtime_file.exists():
        url: str = orjson.loads(settings.runtime_file.read_bytes())["api_url"]
        return url
    return settings.resolved_api_url


def _operator_post(settings: Settings, path: str, body: bytes) -> httpx.Response | None:
    """POST to the running API as the operator; None when no API answers."""
    return operator_request(settings, "POST", path, body)


def operator_request(
    settings: Settings, method: str, path: str, body: bytes | None = None
) -> httpx.Response | None:
    """Call the running API as the operator; None when no API answers."""
    url = _api_url(settings)
    try:
        response = httpx.request(
            method,
            f"{url}{path}",
            content=body,
            headers={
                "Authorization": f"Bearer {operator_token(settings)}",
                "Content-Type": "application/json",
            },
            timeout=30,
        )
    except httpx.ConnectError:
        return None
    if response.is_error:
        detail = response.json().get("detail", response.text) if response.content else ""
        raise CliError(f"the API at {url} refused ({response.status_code}): {detail}")
    return response


def create_licence(settings: Settings, name: str) -> Credentials:
    """Through the running API when there is one (it owns the chdb path), else directly."""
    response = _operator_post(settings, "/v1/admin/licences", orjson.dumps({"name": name}))
    if response is None:
        return LicenceStore(open_clickhouse(settings)).create(name)
    return Credentials.model_validate_json(response.content)


def _read_catalog(path: str) -> Catalog:
    try:
        return parse_catalog(Path(path).read_text(encoding="utf-8"), path)
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}") from exc
    except CatalogError as exc:
        raise CliError(str(exc)) from exc


def _cmd_rules_check(args: argparse.Namespace) -> None:
    catalog = _read_catalog(args.file)
    print(f"{args.file}: valid, version {catalog.version}, {len(catalog.rules)} rules")


def _cmd_rules_publish(args: argparse.Namespace) -> None:
    settings = _settings()
    catalog = _read_catalog(args.file)
    _running_api_post(settings, "/v1/admin/rules", catalog.model_dump_json().encode())
    print(f"published rules version {catalog.version}: workers apply it to new events")


def _running_api_post(settings: Settings, path: str, body: bytes) -> httpx.Response:
    """POST as the operator to the API that must be running (it owns the change)."""
    response = _operator_post(settings, path, body)
    if response is None:
        raise CliError(
            f"no ERO API answers at {_api_url(settings)}: start `ero run` (or set ERO_API_URL)"
        )
    return response


def _cmd_licence_set_status(args: argparse.Namespace) -> None:
    """A status change is a control command: it needs the running pipeline."""
    body = orjson.dumps({"status": args.status})
    _running_api_post(_settings(), f"/v1/admin/licences/{args.licence_id}/status", body)
    print(f"licence {args.licence_id} is now {args.status}")


def _cmd_licence_create(args: argparse.Namespace) -> None:
    credentials = create_licence(_settings(), args.name)
    if args.json:
        print(orjson.dumps(credentials.model_dump()).decode())
    else:
        print(f"licence_id     {credentials.licence_id}")
        print(f"connector_key  {credentials.connector_key}")
        print(f"reader_token   {credentials.reader_token}")
        print("Keep them now: only their hashes are stored.")


def _cmd_run(_: argparse.Namespace) -> None:
    from ero.runtime import run_all

    run_all(_settings())


def _cmd_worker(_: argparse.Namespace) -> None:
    from ero.runtime import run_worker

    run_worker(_settings())


def _cmd_api(_: argparse.Namespace) -> None:
    from ero.runtime import run_api

    run_api(_settings())


def _cmd_migrate(_: argparse.Namespace) -> None:
    open_clickhouse(_settings())
    print("ClickHouse schema is up to date")


def _cmd_bench_post(args: argparse.Namespace) -> None:
    import asyncio

    from bench.post import bench_post

    settings = _settings()
    licence = create_licence(settings, f"bench {args.events}")
    figures = asyncio.run(
        bench_post(_api_url(settings), licence, args.events, args.batch, args.concurrency)
    )
    print(figures.table())


def _corpora() -> list[Path]:
    """The bundled labelled corpora."""
    from processors.evaluation import BUNDLED_CORPORA

    return list(BUNDLED_CORPORA)


def _cmd_simulate(args: argparse.Namespace) -> None:
    import asyncio

    from ingest.fleet import Fleet, FleetShape, Templates, progress_line

    settings = _settings()
    shape = FleetShape(
        licences=args.licences,
        connectors_per_licence=args.connectors,
        runs=args.runs,
        min_lines=args.min_lines,
        max_lines=args.max_lines,
        pause_seconds=args.pause,
    )
    if not 1 <= shape.min_lines <= shape.max_lines <= settings.max_events_per_request:
        raise CliError(f"need 1 <= --min-lines <= --max-lines <= {settings.max_events_per_request}")
    licences = [create_licence(settings, f"fleet {n}") for n in range(shape.licences)]
    expected = shape.connectors * shape.runs * (shape.min_lines + shape.max_lines) // 2
    fleet = Fleet(
        _api_url(settings),
        licences,
        shape,
        Templates(_corpora()),
        rate=args.rate,
        progress=progress_line("simulating", expected),
    )
    figures = asyncio.run(fleet.run())
    sys.stderr.write("\n")
    print(f"connectors     {shape.connectors} ({shape.licences} licences)")
    print(f"lines sent     {figures.lines:,} in {figures.seconds:.1f} s")
    print(f"accepted       {figures.accepted:,} ({figures.accepted / figures.seconds:,.0f}/s)")
    print(f"rejected       {figures.rejected:,}   retries {figures.retries:,}")
    print(
        f"request p50    {figures.percentile(0.5) * 1000:.0f} ms   "
        f"p99 {figures.percentile(0.99) * 1000:.0f} ms"
    )


def _cmd_rules_eval(args: argparse.Namespace) -> None:
    from processors.classifier import Classifier
    from processors.evaluation import evaluate, table

    catalog = _read_catalog(args.catalog) if args.catalog else load_catalog()
    classifier = Classifier(catalog)
    corpora = [Path(p) for p in args.corpus] or _corpora()
    results = []
    for path in corpora:
        try:
            results.append(evaluate(classifier, path.name, path.read_bytes().splitlines()))
        except OSError as exc:
            raise CliError(f"cannot read {path}: {exc.strerror}") from exc
    print(f"rules version {catalog.version}")
    print(table(results))
    if args.verbose:
        for scores in results:
            for miss in scores.misses:
                print(f"  {scores.name}: {miss}")


def _cmd_bench_classify(args: argparse.Namespace) -> None:
    from bench.classify import bench_classify, varied_events
    from processors.evaluation import BUNDLED_CORPORA

    events = varied_events(BUNDLED_CORPORA, args.events)
    shapes = sum(len(path.read_bytes().splitlines()) for path in BUNDLED_CORPORA)
    print(bench_classify(load_catalog(), events, shapes).table())


def _cmd_bench_pipeline(args: argparse.Namespace) -> None:
    from bench.pipeline import bench_pipeline

    if args.sustain_minutes < 0 or args.repeat < 1:
        raise CliError("need --sustain-minutes >= 0 and --repeat >= 1")
    try:
        import quixstreams  # noqa: F401
    except ImportError as exc:
        raise CliError("the peers are a dev extra: pip install -e '.[bench]'") from exc
    figures = bench_pipeline(
        _corpora(), args.http_events, args.job_events, args.sustain_minutes * 60, args.repeat
    )
    print(figures.table())


def _cmd_bench_queries(args: argparse.Namespace) -> None:
    from bench.queries import LICENCES, bench_queries

    if args.events < 100 * LICENCES or args.repeat < 2:
        raise CliError(f"use --events {100 * LICENCES} or more and --repeat 2 or more")
    print(bench_queries(_settings(), args.events, args.repeat))


def _cmd_replay(args: argparse.Namespace) -> None:
    from ero import replay_cli

    request = replay_cli.request_of(args.topic, args.from_beginning, args.since)
    replay_cli.run(_settings(), request)


def _cmd_rebuild(args: argparse.Namespace) -> None:
    from ero import replay_cli

    replay_cli.run(_settings(), replay_cli.request_of("archive", False, args.since))


def _cmd_schema_export(args: argparse.Namespace) -> None:
    from schemas.json_schema import SCHEMA_DIR, export_sync_event_schemas

    for path in export_sync_event_schemas(Path(args.directory) if args.directory else SCHEMA_DIR):
        print(path)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="ero", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "run", help="the whole pipeline in one process (embedded broker unless configured)"
    ).set_defaults(func=_cmd_run)
    commands.add_parser(
        "worker", help="the Faust worker alone (needs ERO_KAFKA_BOOTSTRAP)"
    ).set_defaults(func=_cmd_worker)
    commands.add_parser("api", help="the HTTP API alone (needs ERO_KAFKA_BOOTSTRAP)").set_defaults(
        func=_cmd_api
    )
    commands.add_parser("migrate", help="apply ClickHouse migrations").set_defaults(
        func=_cmd_migrate
    )

    licence = commands.add_parser("licence", help="manage licences").add_subparsers(
        dest="licence_command", required=True
    )
    create = licence.add_parser("create", help="create a licence and print its keys")
    create.add_argument("name")
    create.add_argument("--json", action="store_true", help="print the keys as one JSON object")
    create.set_defaults(func=_cmd_licence_create)
    set_status = licence.add_parser(
        "set-status", help="activate, expire or revoke a licence (on the running pipeline)"
    )
    set_status.add_argument("licence_id")
    set_status.add_argument("status", choices=["active", "expired", "revoked"])
    set_status.set_defaults(func=_cmd_licence_set_status)

    bench = commands.add_parser("bench", help="benchmarks").add_subparsers(
        dest="bench_command", required=True
    )
    post = bench.add_parser(
        "post", help="post N events to the running pipeline; time accept and end to end"
    )
    post.add_argument("--events", type=int, default=100_000)
    post.add_argument("--batch", type=int, default=500)
    post.add_argument("--concurrency", type=int, default=4)
    post.set_defaults(func=_cmd_bench_post)
    pipeline = bench.add_parser(
        "pipeline",
        help="ingest, end to end, freshness, RSS, and the job against peers (own broker + chdb)",
    )
    pipeline.add_argument("--http-events", type=int, default=200_000, help="0: skip HTTP")
    pipeline.add_argument("--job-events", type=int, default=500_000, help="0: skip the jobs")
    pipeline.add_argument(
        "--sustain-minutes", type=float, default=10.0, help="sustained load for freshness and RSS"
    )
    pipeline.add_argument("--repeat", type=int, default=3, help="runs of each job (median)")
    pipeline.set_defaults(func=_cmd_bench_pipeline)
    classify = bench.add_parser("classify", help="microseconds of classification per event")
    classify.add_argument("--events", type=int, default=200_000)
    classify.set_defaults(func=_cmd_bench_classify)

    simulate = commands.add_parser(
        "simulate", help="a fleet of connectors posting sync runs to the running pipeline"
    )
    simulate.add_argument("--licences", type=int, default=10)
    simulate.add_argument("--connectors", type=int, default=5, help="per licence")
    simulate.add_argument("--runs", type=int, default=20, help="sync runs per connector")
    simulate.add_argument("--min-lines", type=int, default=50, help="lines per run, at least")
    simulate.add_argument("--max-lines", type=int, default=500, help="lines per run, at most")
    simulate.add_argument("--pause", type=float, default=1.0, help="seconds between runs")
    simulate.add_argument("--rate", type=float, default=None, help="fleet-wide lines/s cap")
    simulate.set_defaults(func=_cmd_simulate)

    rules = commands.add_parser("rules", help="the classification rule catalog").add_subparsers(
        dest="rules_command", required=True
    )
    check = rules.add_parser("check", help="validate a catalog file")
    check.add_argument("file")
    check.set_defaults(func=_cmd_rules_check)
    publish = rules.add_parser("publish", help="validate and publish a catalog to the workers")
    publish.add_argument("file")
    publish.set_defaults(func=_cmd_rules_publish)

    evaluate = rules.add_parser("eval", help="accuracy of the classifier on labelled corpora")
    evaluate.add_argument("corpus", nargs="*", help="JSONL files with `expected` labels")
    evaluate.add_argument("--catalog", help="a catalog file (default: the bundled one)")
    evaluate.add_argument("-v", "--verbose", action="store_true", help="list every miss")
    evaluate.set_defaults(func=_cmd_rules_eval)

    queries = bench.add_parser(
        "queries",
        help="load N synthetic events into ERO_DATA_DIR/bench-queries (reused when N matches);"
        " time each query endpoint and the SQL behind it",
    )
    queries.add_argument("--events", type=int, default=50_000_000)
    queries.add_argument("--repeat", type=int, default=30, help="calls per endpoint")
    queries.set_defaults(func=_cmd_bench_queries)

    from ero.cli.dlq import add_dlq_commands  # here: it imports this module

    add_dlq_commands(commands, _settings)
    replay = commands.add_parser(
        "replay",
        help="re-derive sync_events and its rollups from a topic into shadow tables, then swap",
    )
    replay.add_argument("--topic", required=True, choices=["raw", "classified"])
    start = replay.add_mutually_exclusive_group(required=True)
    start.add_argument("--from-beginning", action="store_true")
    start.add_argument("--since", help="accept time, ISO 8601 with offset")
    replay.set_defaults(func=_cmd_replay)
    rebuild = commands.add_parser(
        "rebuild", help="re-derive sync_events and its rollups from the ClickHouse archive"
    )
    rebuild.add_argument("--from-archive", action="store_true", required=True)
    rebuild.add_argument("--since", help="only records accepted since (ISO 8601 with offset)")
    rebuild.set_defaults(func=_cmd_rebuild)

    schema = commands.add_parser("schema", help="data contracts").add_subparsers(
        dest="schema_command", required=True
    )
    export = schema.add_parser("export", help="write the SyncEvent JSON Schemas (v1, v2)")
    export.add_argument("directory", nargs="?", default=None)
    export.set_defaults(func=_cmd_schema_export)
    return root


def main(argv: Sequence[str] | None = None) -> None:
    args = parser().parse_args(argv)
    long_running = args.command in ("run", "worker", "api")
    code: int | str | None = 0
    try:
        configure_logging(_settings().log_level if long_running else "WARNING")
        args.func(args)
    except (CliError, ClickHouseUnavailable, ConfigurationError) as exc:
        print(f"ero: error: {exc}", file=sys.stderr)
        code = 2
    except KeyboardInterrupt:
        code = 130
    except SystemExit as exc:
        code = exc.code
    if long_running:
        # Library threads (Kafka clients, thread pools) may outlive a crashed worker and keep
        # the process alive: once our own cleanup has run, leave for real.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code if isinstance(code, int) else 1)
    sys.exit(code)
