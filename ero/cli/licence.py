"""`ero licence create NAME [--owner EMAIL]` and `ero licence set-status ID STATUS`.

A licence is created through the API of the pipeline running with the configured data dir (it
owns the chdb path), else written into that data dir directly, saying so on stderr. With an
owner it needs the running pipeline: inviting a person is a control command.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

import orjson

from ero.cli.common import (
    CliError,
    Subparsers,
    api_url,
    data_dir,
    operator_request,
    read_settings,
    running_api_request,
    runtime_state,
)
from ero.settings import Settings

if TYPE_CHECKING:
    from licences import Credentials

MAX_NAME = 200  # as the operator API (accounts/admin_http.py)


def register(commands: Subparsers) -> None:
    licence = commands.add_parser("licence", help="manage licences").add_subparsers(
        dest="licence_command", required=True
    )
    create_command = licence.add_parser("create", help="create a licence and print its keys")
    create_command.add_argument("name")
    create_command.add_argument(
        "--owner",
        metavar="EMAIL",
        help="invite this e-mail as the licence's owner (needs the running pipeline)",
    )
    create_command.add_argument(
        "--json", action="store_true", help="print the keys as one JSON object"
    )
    create_command.set_defaults(func=create)
    set_status_command = licence.add_parser(
        "set-status", help="activate, expire or revoke a licence (on the running pipeline)"
    )
    set_status_command.add_argument("licence_id")
    set_status_command.add_argument("status", choices=["active", "expired", "revoked"])
    set_status_command.set_defaults(func=set_status)


def licence_name(text: str) -> str:
    name = text.strip()
    if not name:
        raise CliError("a licence name must not be blank")
    if len(name) > MAX_NAME:
        raise CliError(f"a licence name has at most {MAX_NAME} characters, not {len(name)}")
    return name


def create_licence(settings: Settings, name: str, owner: str | None = None) -> Credentials:
    """Through the pipeline's API when one answers, else (without an owner) into the data dir
    directly."""
    from licences import Credentials

    body = orjson.dumps({"name": name, **({"owner": owner} if owner is not None else {})})
    response = operator_request(settings, "POST", "/v1/admin/licences", body)
    if response is not None:
        return Credentials.model_validate_json(response.content)
    if owner is not None:
        raise CliError(
            f"--owner needs the running pipeline (the invitation is a control command), and "
            f"no ERO API answers at {api_url(settings)}: start `ero run` with "
            f"ERO_DATA_DIR={settings.data_dir}, then create the licence again"
        )
    from ero.storage import open_clickhouse
    from licences import LicenceStore

    _, why = runtime_state(settings)
    credentials = LicenceStore(open_clickhouse(settings)).create(name)
    print(
        f"ero: no pipeline runs with data dir {data_dir(settings)} ({why}; no API answers at "
        f"{api_url(settings)}): the licence was written there directly; the pipeline started "
        "with this ERO_DATA_DIR will accept it",
        file=sys.stderr,
    )
    return credentials


def create(args: argparse.Namespace) -> None:
    name = licence_name(args.name)
    credentials = create_licence(read_settings(), name, args.owner)
    if args.json:
        print(orjson.dumps(credentials.model_dump()).decode())
    else:
        print(f"licence_id     {credentials.licence_id}")
        print(f"connector_key  {credentials.connector_key}")
        print(f"reader_token   {credentials.reader_token}")
        if args.owner is not None:
            print(f"owner          {args.owner} (invited by e-mail)")
        print("Keep them now: only their hashes are stored.")


def set_status(args: argparse.Namespace) -> None:
    """A status change is a control command: it needs the running pipeline."""
    body = orjson.dumps({"status": args.status})
    running_api_request(
        read_settings(), "POST", f"/v1/admin/licences/{args.licence_id}/status", body
    )
    print(f"licence {args.licence_id} is now {args.status}")
