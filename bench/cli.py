"""`ero-bench`: the benchmarks (figures on stdout, progress on stderr).

A benchmark is not a test: each command measures and prints its figures. Errors a user can act
on are printed as one line on stderr with exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import orjson

from ero.cli.common import CliError, Parser, read_settings, require_api, running_api_request
from ero.settings import ConfigurationError
from infra.clickhouse import ClickHouseUnavailable
from infra.logs import configure_logging
from licences import Credentials


class BenchError(CliError):
    """A failure explained in one line."""


def _corpora() -> list[Path]:
    """The bundled labelled corpora."""
    from processors.evaluation import BUNDLED_CORPORA

    return list(BUNDLED_CORPORA)


def _cmd_post(args: argparse.Namespace) -> None:
    import asyncio

    from bench.post import bench_post

    if args.events < 1 or args.batch < 1 or args.concurrency < 1:
        raise BenchError("need --events, --batch and --concurrency >= 1")
    settings = read_settings()
    url = require_api(settings)
    # The running pipeline owns its data dir: it creates the licence (operator API).
    body = orjson.dumps({"name": f"bench {args.events}"})
    response = running_api_request(settings, "POST", "/v1/admin/licences", body)
    licence = Credentials.model_validate_json(response.content)
    figures = asyncio.run(bench_post(url, licence, args.events, args.batch, args.concurrency))
    print(figures.table())


def _cmd_classify(args: argparse.Namespace) -> None:
    from bench.classify import bench_classify, varied_events
    from processors.catalog import load_catalog
    from processors.evaluation import BUNDLED_CORPORA

    if args.events < 1:
        raise BenchError("need --events >= 1")
    events = varied_events(BUNDLED_CORPORA, args.events)
    shapes = sum(len(path.read_bytes().splitlines()) for path in BUNDLED_CORPORA)
    print(bench_classify(load_catalog(), events, shapes).table())


def _cmd_pipeline(args: argparse.Namespace) -> None:
    from bench.pipeline import bench_pipeline
    from bench.workload import SHAPES

    if args.http_events < 0 or args.job_events < 0:
        raise BenchError("need --http-events >= 0 and --job-events >= 0")
    if args.sustain_minutes < 0 or args.repeat < 1 or args.quiet_timeout < 0:
        raise BenchError("need --sustain-minutes >= 0, --repeat >= 1 and --quiet-timeout >= 0")
    figures = bench_pipeline(
        _corpora(),
        args.http_events,
        args.job_events,
        args.sustain_minutes * 60,
        args.repeat,
        args.quiet_timeout,
        tuple(args.shape or SHAPES),
        args.baseline or "",
    )
    print(figures.table())


def _cmd_queries(args: argparse.Namespace) -> None:
    from bench.queries import LICENCES, bench_queries

    if args.events < 100 * LICENCES or args.repeat < 2:
        raise BenchError(f"use --events {100 * LICENCES} or more and --repeat 2 or more")
    print(bench_queries(read_settings(), args.events, args.repeat))


def _cmd_signin(args: argparse.Namespace) -> None:
    from bench.signin import bench_signin
    from ero.secrets import operator_token

    if args.repeat < 2:
        raise BenchError("need --repeat 2 or more")
    settings = read_settings()
    if settings.smtp_host:
        raise BenchError("the bench reads password links from the outbox: unset ERO_SMTP_HOST")
    url = require_api(settings)
    print(bench_signin(url, operator_token(settings), settings.outbox_dir, args.repeat).table())


def parser() -> argparse.ArgumentParser:
    root = Parser(prog="ero-bench", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)
    post = commands.add_parser(
        "post", help="post N events to the running pipeline; time accept and end to end"
    )
    post.add_argument("--events", type=int, default=100_000)
    post.add_argument("--batch", type=int, default=500)
    post.add_argument("--concurrency", type=int, default=4)
    post.set_defaults(func=_cmd_post)
    pipeline = commands.add_parser(
        "pipeline",
        help="ingest, end to end, freshness, RSS, and the job against peers (own broker + chdb)",
    )
    pipeline.add_argument("--http-events", type=int, default=200_000, help="0: skip HTTP")
    pipeline.add_argument("--job-events", type=int, default=500_000, help="0: skip the jobs")
    pipeline.add_argument(
        "--sustain-minutes",
        type=float,
        default=10.0,
        help="sustained load for freshness and RSS (0: skip it)",
    )
    pipeline.add_argument("--repeat", type=int, default=3, help="runs of each job (median)")
    pipeline.add_argument(
        "--quiet-timeout",
        type=float,
        default=60.0,
        help="seconds to wait before each job for an idle machine (0: do not wait)",
    )
    pipeline.add_argument(
        "--shape",
        action="append",
        choices=("batched", "single"),
        help="a workload shape of the jobs (repeatable; default: both)",
    )
    pipeline.add_argument(
        "--baseline",
        metavar="REVISION",
        help="a git revision of this project whose `ero run` is measured end to end beside "
        "ours, under the same load (extracted from the repository into a temporary folder)",
    )
    pipeline.set_defaults(func=_cmd_pipeline)
    classify = commands.add_parser("classify", help="microseconds of classification per event")
    classify.add_argument("--events", type=int, default=200_000)
    classify.set_defaults(func=_cmd_classify)
    queries = commands.add_parser(
        "queries",
        help="load N synthetic events into ERO_DATA_DIR/bench-queries (reused when N matches);"
        " time each query endpoint and the SQL behind it",
    )
    queries.add_argument("--events", type=int, default=50_000_000)
    queries.add_argument("--repeat", type=int, default=30, help="calls per endpoint")
    queries.set_defaults(func=_cmd_queries)
    signin = commands.add_parser(
        "signin",
        help="the password hash and policy costs, sign-ins through the running pipeline, and "
        "the throttle's figures",
    )
    signin.add_argument("--repeat", type=int, default=50, help="calls of each kind")
    signin.set_defaults(func=_cmd_signin)
    return root


def main(argv: Sequence[str] | None = None) -> None:
    args = parser().parse_args(argv)
    code: int | str | None = 0
    try:
        configure_logging("WARNING")
        args.func(args)
    except (CliError, ClickHouseUnavailable, ConfigurationError) as exc:
        print(f"ero-bench: error: {exc}", file=sys.stderr)
        code = 2
    except KeyboardInterrupt:
        code = 130
    sys.exit(code)
