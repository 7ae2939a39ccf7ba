"""`ero operator create EMAIL [--name NAME]`: the vendor's people sign in as operators.

The account is created on the running pipeline (a control command) if the e-mail has none,
and is e-mailed a link to create its password if it has none yet.
"""

from __future__ import annotations

import argparse

import orjson

from ero.cli.common import Subparsers, read_settings, running_api_request


def register(commands: Subparsers) -> None:
    operator = commands.add_parser("operator", help="manage operators").add_subparsers(
        dest="operator_command", required=True
    )
    create_command = operator.add_parser(
        "create", help="make an e-mail's account an operator (on the running pipeline)"
    )
    create_command.add_argument("email")
    create_command.add_argument("--name", help="the person's name, for a new account")
    create_command.set_defaults(func=create)


def create(args: argparse.Namespace) -> None:
    body = orjson.dumps({"email": args.email, **({"name": args.name} if args.name else {})})
    response = running_api_request(read_settings(), "POST", "/v1/admin/operators", body)
    created = response.json()
    print(
        f"{created['email']} is an operator (user {created['user_id']}); an account without a "
        "password was e-mailed a link to create it"
    )
