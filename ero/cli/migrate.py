"""`ero migrate`: apply the ClickHouse migrations."""

from __future__ import annotations

import argparse

from ero.cli.common import Subparsers, read_settings


def register(commands: Subparsers) -> None:
    commands.add_parser("migrate", help="apply ClickHouse migrations").set_defaults(func=migrate)


def migrate(_: argparse.Namespace) -> None:
    from ero.storage import open_clickhouse

    open_clickhouse(read_settings())
    print("ClickHouse schema is up to date")
