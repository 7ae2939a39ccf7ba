"""`ero run` (the whole pipeline in one process), `ero worker`, `ero api` (one role each).

Long-running: `ero.cli.main` leaves with `os._exit` once they return (see LONG_RUNNING).
"""

from __future__ import annotations

import argparse

from ero.cli.common import Subparsers, read_settings

LONG_RUNNING = frozenset({"run", "worker", "api"})


def register(commands: Subparsers) -> None:
    commands.add_parser(
        "run", help="the whole pipeline in one process (embedded broker unless configured)"
    ).set_defaults(func=run)
    commands.add_parser(
        "worker", help="the Faust worker alone (needs ERO_KAFKA_BOOTSTRAP)"
    ).set_defaults(func=worker)
    commands.add_parser("api", help="the HTTP API alone (needs ERO_KAFKA_BOOTSTRAP)").set_defaults(
        func=api
    )


def run(_: argparse.Namespace) -> None:
    from ero.runtime import run_all

    run_all(read_settings())


def worker(_: argparse.Namespace) -> None:
    from ero.runtime import run_worker

    run_worker(read_settings())


def api(_: argparse.Namespace) -> None:
    from ero.runtime import run_api

    run_api(read_settings())
