"""`ero`: run the pipeline (whole or by role), manage licences and operators, migrate, export
schemas.

Each command group is one module (`register(subparsers)` adds its parsers and handlers); what
they share is in common.py. Errors a user can act on are printed as one line on stderr with
exit code 2, never a traceback.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from ero.cli import (
    common,
    dlq,
    licence,
    mail,
    migrate,
    operator,
    replay,
    rules,
    run,
    schema,
    simulate,
)
from ero.cli.common import CliError, Parser
from ero.settings import ConfigurationError
from infra.logs import configure_logging

COMMAND_MODULES = (run, migrate, licence, operator, simulate, rules, dlq, mail, replay, schema)

__all__ = ["main", "parser"]


def user_errors() -> tuple[type[Exception], ...]:
    """What `main` prints as one line (evaluated only when an exception is raised: the
    ClickHouse client stays out of `ero --help`)."""
    from infra.clickhouse import ClickHouseUnavailable

    return (CliError, ClickHouseUnavailable, ConfigurationError)


def parser() -> Parser:
    root = Parser(prog="ero", description=__doc__.split("\n\n")[0] if __doc__ else None)
    commands = root.add_subparsers(dest="command", required=True)
    for module in COMMAND_MODULES:
        module.register(commands)
    return root


def main(argv: Sequence[str] | None = None) -> None:
    args = parser().parse_args(argv)
    long_running = args.command in run.LONG_RUNNING
    code: int | str | None = 0
    try:
        configure_logging(common.read_settings().log_level if long_running else "WARNING")
        args.func(args)
    except user_errors() as exc:
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
