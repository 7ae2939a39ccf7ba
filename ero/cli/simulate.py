"""`ero simulate`: a fleet of connectors posting sync runs to the running pipeline.

Into new licences (printed, so their reports can be read) or, with `--connector-key`, into
existing ones. Needs an API that answers: it fails in a second, in one line, when none does.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import sys
from typing import TYPE_CHECKING

import orjson

from ero.cli.common import (
    CliError,
    Subparsers,
    at_least,
    detail_text,
    read_settings,
    require_api,
    running_api_request,
    seconds,
)

if TYPE_CHECKING:
    from ingest.sdk import Refused
    from licences import Credentials

DEFAULT_LICENCES = 10


def register(commands: Subparsers) -> None:
    simulate_command = commands.add_parser(
        "simulate", help="a fleet of connectors posting sync runs to the running pipeline"
    )
    simulate_command.add_argument(
        "--licences",
        type=at_least(1),
        default=None,
        help=f"licences to create (default {DEFAULT_LICENCES}); their keys are printed",
    )
    simulate_command.add_argument(
        "--connector-key",
        action="append",
        default=[],
        metavar="KEY",
        help="post into this existing licence instead of creating licences (repeatable)",
    )
    simulate_command.add_argument("--connectors", type=at_least(1), default=5, help="per licence")
    simulate_command.add_argument(
        "--runs", type=at_least(1), default=20, help="sync runs per connector"
    )
    simulate_command.add_argument(
        "--min-lines", type=at_least(1), default=50, help="lines per run, at least"
    )
    simulate_command.add_argument(
        "--max-lines", type=at_least(1), default=500, help="lines per run, at most"
    )
    simulate_command.add_argument(
        "--pause", type=seconds(positive=False), default=1.0, help="seconds between runs"
    )
    simulate_command.add_argument(
        "--rate", type=seconds(positive=True), default=None, help="fleet-wide lines/s cap"
    )
    simulate_command.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object at the end: the created licences' keys and the figures",
    )
    simulate_command.set_defaults(func=simulate)


def _existing(connector_key: str) -> Credentials:
    """An existing licence known by its connector key only: the fleet names its connectors
    after a digest of the key (the licence id is not the simulator's to know)."""
    from licences import Credentials

    if not connector_key.strip():
        raise CliError("--connector-key must not be blank")
    label = hashlib.sha256(connector_key.encode()).hexdigest()[:8]
    return Credentials(licence_id=label, connector_key=connector_key, reader_token="")


def _detail(refused: Refused) -> str:
    """The API's `detail` of a refusal, in one line."""
    text = refused.detail
    with contextlib.suppress(orjson.JSONDecodeError, KeyError, TypeError):
        text = detail_text(orjson.loads(text)["detail"])
    return " ".join(text.split())


def simulate(args: argparse.Namespace) -> None:
    import asyncio

    from ingest.fleet import Fleet, FleetShape, Templates, fleet_progress
    from ingest.sdk import DeliveryFailed, Refused
    from licences import Credentials
    from processors.evaluation import BUNDLED_CORPORA

    settings = read_settings()
    if args.connector_key and args.licences is not None:
        raise CliError("--licences creates licences, --connector-key uses existing ones: not both")
    if not args.min_lines <= args.max_lines <= settings.max_events_per_request:
        raise CliError(f"need --min-lines <= --max-lines <= {settings.max_events_per_request}")
    url = require_api(settings)
    existing = [_existing(key) for key in args.connector_key]
    created: list[Credentials] = []
    for number in range(0 if existing else args.licences or DEFAULT_LICENCES):
        answer = running_api_request(
            settings, "POST", "/v1/admin/licences", orjson.dumps({"name": f"fleet {number}"})
        )
        credentials = Credentials.model_validate_json(answer.content)
        created.append(credentials)
        if not args.json:
            print(
                f"created licence {credentials.licence_id}  connector_key "
                f"{credentials.connector_key}  reader_token {credentials.reader_token}",
                flush=True,
            )
    licences = existing or created
    shape = FleetShape(
        licences=len(licences),
        connectors_per_licence=args.connectors,
        runs=args.runs,
        min_lines=args.min_lines,
        max_lines=args.max_lines,
        pause_seconds=args.pause,
    )
    expected = shape.connectors * shape.runs * (shape.min_lines + shape.max_lines) // 2
    fleet = Fleet(
        url,
        licences,
        shape,
        Templates(list(BUNDLED_CORPORA)),
        rate=args.rate,
        progress=fleet_progress("simulating", expected),
    )
    try:
        figures = asyncio.run(fleet.run())
    except Refused as exc:
        raise CliError(f"the API at {url} refused a run ({exc.status}): {_detail(exc)}") from exc
    except DeliveryFailed as exc:
        raise CliError(f"the API at {url} stopped taking events: {exc}") from exc
    finally:
        sys.stderr.write("\n")
    p50, p99 = figures.percentile(0.5) * 1000, figures.percentile(0.99) * 1000
    if args.json:
        print(
            orjson.dumps(
                {
                    "licences": [credentials.model_dump() for credentials in created],
                    "connectors": shape.connectors,
                    "lines": figures.lines,
                    "accepted": figures.accepted,
                    "rejected": figures.rejected,
                    "retries": figures.retries,
                    "seconds": round(figures.seconds, 3),
                    "request_p50_ms": round(p50, 1),
                    "request_p99_ms": round(p99, 1),
                }
            ).decode()
        )
        return
    kind = "existing" if existing else "new"
    print(f"connectors     {shape.connectors} ({shape.licences} {kind} licences)")
    print(f"lines sent     {figures.lines:,} in {figures.seconds:.1f} s")
    rate = figures.accepted / figures.seconds if figures.seconds else 0.0
    print(f"accepted       {figures.accepted:,} ({rate:,.0f}/s)")
    print(f"rejected       {figures.rejected:,}   retries {figures.retries:,}")
    print(f"request p50    {p50:.0f} ms   p99 {p99:.0f} ms")
