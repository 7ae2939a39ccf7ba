"""`ero schema export [DIRECTORY]`: the data contracts as JSON Schema files."""

from __future__ import annotations

import argparse
from pathlib import Path

from ero.cli.common import Subparsers


def register(commands: Subparsers) -> None:
    schema = commands.add_parser("schema", help="data contracts").add_subparsers(
        dest="schema_command", required=True
    )
    export_command = schema.add_parser("export", help="write the SyncEvent JSON Schemas (v1, v2)")
    export_command.add_argument("directory", nargs="?", default=None)
    export_command.set_defaults(func=export)


def export(args: argparse.Namespace) -> None:
    from schemas.json_schema import SCHEMA_DIR, export_sync_event_schemas

    for path in export_sync_event_schemas(Path(args.directory) if args.directory else SCHEMA_DIR):
        print(path)
