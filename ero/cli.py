"""`ero`: run the pipeline (whole or by role), manage licences, migrate, export schemas.

Errors a user can act on are printed as one line on stderr with exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import httpx
import orjson
from pydantic import ValidationError

from ero.logs import configure_logging
from ero.settings import ConfigurationError, Settings
from ero.state import open_clickhouse, operator_token
from licences import Credentials, LicenceStore
from projections.clickhouse import ClickHouseUnavailable


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


def create_licence(settings: Settings, name: str) -> Credentials:
    """Through the running API when there is one (it owns the chdb path), else directly."""
    url = _api_url(settings)
    try:
        response = httpx.post(
            f"{url}/v1/admin/licences",
            json={"name": name},
            headers={"Authorization": f"Bearer {operator_token(settings)}"},
            timeout=30,
        )
    except httpx.ConnectError:
        return LicenceStore(open_clickhouse(settings)).create(name)
    if response.status_code != 201:
        raise CliError(f"the API at {url} refused: {response.status_code} {response.text}")
    return Credentials.model_validate_json(response.content)


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

    from ero.bench import bench_post

    settings = _settings()
    licence = create_licence(settings, f"bench {args.events}")
    figures = asyncio.run(
        bench_post(_api_url(settings), licence, args.events, args.batch, args.concurrency)
    )
    print(figures.table())


def _cmd_bench_queries(args: argparse.Namespace) -> None:
    from ero.bench_queries import LICENCES, bench_queries

    if args.events < 100 * LICENCES or args.repeat < 2:
        raise CliError(f"use --events {100 * LICENCES} or more and --repeat 2 or more")
    print(bench_queries(_settings(), args.events, args.repeat))


def _cmd_schema_export(args: argparse.Namespace) -> None:
    from schemas.json_schema import SYNC_EVENT_SCHEMA_FILE, export_sync_event_schema

    print(export_sync_event_schema(args.path or SYNC_EVENT_SCHEMA_FILE))


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
    queries = bench.add_parser(
        "queries",
        help="load N synthetic events into ERO_DATA_DIR/bench-queries (reused when N matches);"
        " time each query endpoint and the SQL behind it",
    )
    queries.add_argument("--events", type=int, default=50_000_000)
    queries.add_argument("--repeat", type=int, default=30, help="calls per endpoint")
    queries.set_defaults(func=_cmd_bench_queries)

    schema = commands.add_parser("schema", help="data contracts").add_subparsers(
        dest="schema_command", required=True
    )
    export = schema.add_parser("export", help="write the SyncEvent v1 JSON Schema")
    export.add_argument("path", nargs="?", default=None)
    export.set_defaults(func=_cmd_schema_export)
    return root


def main(argv: Sequence[str] | None = None) -> None:
    args = parser().parse_args(argv)
    configure_logging(
        _settings().log_level if args.command in ("run", "worker", "api") else "WARNING"
    )
    try:
        args.func(args)
    except (CliError, ClickHouseUnavailable, ConfigurationError) as exc:
        print(f"ero: error: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
