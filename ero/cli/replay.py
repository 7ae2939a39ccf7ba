"""`ero replay --topic raw|classified (--from-beginning | --since T)` and `ero rebuild`:
through the running pipeline when there is one, else here.

Either way the same job runs (pipeline/replay.py); this side only starts it and shows its
progress.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import httpx

from ero.cli.common import (
    CliError,
    Subparsers,
    api_url,
    error_detail,
    operator_request,
    read_settings,
)
from ero.secrets import operator_token
from ero.settings import Settings

if TYPE_CHECKING:
    from pipeline.replay import ReplayRequest, ReplayStatus

POLL_SECONDS = 0.5


def register(commands: Subparsers) -> None:
    replay_command = commands.add_parser(
        "replay",
        help="re-derive sync_events and its rollups from a topic into shadow tables, then swap",
    )
    replay_command.add_argument("--topic", required=True, choices=["raw", "classified"])
    start = replay_command.add_mutually_exclusive_group(required=True)
    start.add_argument("--from-beginning", action="store_true")
    start.add_argument("--since", help="accept time, ISO 8601 with offset")
    replay_command.set_defaults(func=replay)
    rebuild_command = commands.add_parser(
        "rebuild", help="re-derive sync_events and its rollups from the ClickHouse archive"
    )
    rebuild_command.add_argument(
        "--from-archive",
        action="store_true",
        help="the only source, so the default (accepted for compatibility)",
    )
    rebuild_command.add_argument(
        "--since", help="only records accepted since (ISO 8601 with offset)"
    )
    rebuild_command.set_defaults(func=rebuild)


def replay(args: argparse.Namespace) -> None:
    run(read_settings(), request_of(args.topic, args.from_beginning, args.since))


def rebuild(args: argparse.Namespace) -> None:
    run(read_settings(), request_of("archive", False, args.since))


def request_of(source: str, from_beginning: bool, since: str | None) -> ReplayRequest:
    from pydantic import ValidationError

    from pipeline.replay import ReplayRequest

    try:
        return ReplayRequest.model_validate(
            {"source": source, "from_beginning": from_beginning, "since": since}
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise CliError(f"{'--' + where + ': ' if where else ''}{first['msg']}") from exc


def replay_progress(status: ReplayStatus) -> str:
    eta = f"ETA {status.eta_seconds:,.0f} s" if status.eta_seconds is not None else status.state
    return (
        f"\r{status.source}: {status.events_done:,} events "
        f"({status.records_done:,}/{status.records_total:,} records), "
        f"{status.events_per_second:,.0f} events/s, {eta}   "
    )


def _show(status: ReplayStatus) -> None:
    sys.stderr.write(replay_progress(status))
    sys.stderr.flush()


def run(settings: Settings, request: ReplayRequest) -> None:
    from pipeline.replay import ReplayStatus, State

    show = _show
    body = request.model_dump_json().encode()
    response = operator_request(settings, "POST", "/v1/admin/replays", body)
    if response is None:
        status = _run_here(settings, request, show)
    else:
        status = _follow(settings, ReplayStatus.model_validate_json(response.content), show)
    sys.stderr.write("\n")
    if status.state is State.FAILED:
        raise CliError(f"replay {status.job_id} failed: {status.error}")
    print(
        f"replayed {status.events_done:,} events from {status.source}; kept "
        f"{status.copied_from_live:,} more from the live tables; swapped in "
        f"{', '.join(status.tables)}"
    )
    if status.skipped_records:
        print(f"{status.skipped_records:,} unreadable records skipped (see the dead letters)")


def _follow(
    settings: Settings, status: ReplayStatus, show: Callable[[ReplayStatus], None]
) -> ReplayStatus:
    from pipeline.replay import FINAL_STATES, ReplayStatus

    url = f"{api_url(settings)}/v1/admin/replays/{status.job_id}"
    headers = {"Authorization": f"Bearer {operator_token(settings)}"}
    while status.state not in FINAL_STATES:
        show(status)
        time.sleep(POLL_SECONDS)
        try:
            response = httpx.get(url, headers=headers, timeout=30)
        except httpx.TransportError as exc:
            raise CliError(f"lost the API at {url} while replaying: {exc}") from exc
        if response.is_error:
            detail = error_detail(response)
            raise CliError(f"the API at {url} refused ({response.status_code}): {detail}")
        status = ReplayStatus.model_validate_json(response.content)
    show(status)
    return status


def _run_here(
    settings: Settings, request: ReplayRequest, show: Callable[[ReplayStatus], None]
) -> ReplayStatus:
    from ero.deployment import Deployment
    from ero.storage import open_clickhouse
    from pipeline.replay import Source, new_job

    bootstrap = settings.kafka_bootstrap
    if request.source is not Source.ARCHIVE and bootstrap is None:
        raise CliError(
            "no running pipeline answers and ERO_KAFKA_BOOTSTRAP is not set: the embedded "
            "broker's log lives only while `ero run` runs; start it, or use "
            "`ero rebuild --from-archive`"
        )
    clickhouse = open_clickhouse(settings)

    async def watched() -> ReplayStatus:
        # An archive rebuild reads no topic: no broker to name then.
        replay_log = Deployment.resolve(settings, bootstrap or "").replay_log
        job = new_job(request, replay_log, clickhouse)  # its Kafka client binds to this loop
        running = asyncio.ensure_future(job.run())
        while not running.done():
            show(job.status())
            await asyncio.wait({running}, timeout=POLL_SECONDS)
        show(running.result())
        return running.result()

    return asyncio.run(watched())
