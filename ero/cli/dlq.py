"""`ero dlq list | show ID | replay (--all | ID...)`.

Through the running API's operator endpoints when one answers (it owns the chdb path);
otherwise the same desk runs in this process. Either way the answers are the same models.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlencode

from ero.cli.common import (
    CliError,
    Subparsers,
    at_least,
    operator_request,
    read_settings,
    table,
    when,
)
from ero.settings import Settings

if TYPE_CHECKING:
    from dead_letters.desk import LetterReplayOutcome, LetterReplayReport
    from dead_letters.store import LetterStatus, LetterSummary, StoredLetter
    from schemas import DeadLetter
    from schemas.event_fields import EventFields

REPLAY_CHUNK = 100  # letters per call, so progress shows and no call runs long
SHOWN_REFUSALS = 20
STATUSES = ("pending", "replayed")  # dead_letters.store.LetterStatus, kept light for --help
CONNECTOR_WIDTH = 32  # longer connector ids are cut, with an ellipsis


class Desk(Protocol):
    async def summaries(
        self, licence_id: str | None, status: LetterStatus | None, limit: int
    ) -> list[LetterSummary]: ...

    async def letter(self, letter_id: uuid.UUID) -> StoredLetter | None: ...

    async def counts(self) -> dict[str, int]: ...

    async def replay(self, letter_ids: Sequence[uuid.UUID]) -> LetterReplayReport: ...


class RemoteDesk:
    """The desk of the running API, through its operator endpoints."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def _call(self, method: str, path: str, body: bytes | None = None) -> bytes:
        response = operator_request(self._settings, method, path, body)
        if response is None:
            raise CliError("the ERO API stopped answering; run the command again")
        return response.content

    async def summaries(
        self, licence_id: str | None, status: LetterStatus | None, limit: int
    ) -> list[LetterSummary]:
        query = {"limit": str(limit)}
        if licence_id is not None:
            query["licence_id"] = licence_id
        if status is not None:
            query["status"] = status.value
        path = f"/v1/admin/dead-letters?{urlencode(query)}"
        from pydantic import TypeAdapter

        from dead_letters.store import LetterSummary

        return TypeAdapter(list[LetterSummary]).validate_json(self._call("GET", path))

    async def letter(self, letter_id: uuid.UUID) -> StoredLetter | None:
        from dead_letters.store import StoredLetter

        return StoredLetter.model_validate_json(
            self._call("GET", f"/v1/admin/dead-letters/{letter_id}")
        )

    async def counts(self) -> dict[str, int]:
        from pydantic import TypeAdapter

        return TypeAdapter(dict[str, int]).validate_json(
            self._call("GET", "/v1/admin/dead-letters/counts")
        )

    async def replay(self, letter_ids: Sequence[uuid.UUID]) -> LetterReplayReport:
        from dead_letters.desk import LetterReplayReport, LetterReplayRequest

        body = LetterReplayRequest(letter_ids=list(letter_ids)).model_dump_json().encode()
        return LetterReplayReport.model_validate_json(
            self._call("POST", "/v1/admin/dead-letters/replay", body)
        )


class _NoEventLog:
    async def append(
        self,
        licence_id: str,
        received_at: datetime,
        events: Sequence[EventFields],
        dead_letters: Sequence[DeadLetter],
    ) -> None:
        raise CliError(
            "replay appends to the event log and no ERO API answers: start `ero run` "
            "(or set ERO_KAFKA_BOOTSTRAP to replay from here)"
        )


@contextlib.asynccontextmanager
async def _local_desk(settings: Settings) -> AsyncIterator[Desk]:
    from dead_letters.desk import DeadLetterDesk
    from dead_letters.store import DeadLetterStore
    from ero.deployment import Deployment, time_bounds
    from ero.storage import open_clickhouse
    from infra.log_producer import LogProducer

    clickhouse = open_clickhouse(settings)
    bounds = time_bounds(settings)
    store = DeadLetterStore(clickhouse)
    if settings.kafka_bootstrap is None:
        yield DeadLetterDesk(store, _NoEventLog(), bounds)
        return
    deployment = Deployment.resolve(settings, settings.kafka_bootstrap)
    producer = LogProducer(deployment.producer)
    try:
        yield DeadLetterDesk(store, deployment.event_log(producer), bounds)
    finally:
        await producer.stop()


@contextlib.asynccontextmanager
async def _desk(settings: Settings) -> AsyncIterator[Desk]:
    if operator_request(settings, "GET", "/v1/admin/dead-letters/counts") is not None:
        yield RemoteDesk(settings)
        return
    async with _local_desk(settings) as desk:
        yield desk


def licence_id(text: str | None) -> str | None:
    """A licence id as `ero licence create` prints it (a UUID), or None."""
    if text is None:
        return None
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise CliError(
            f"{text!r} is not a licence id (a UUID, as `ero licence create` prints)"
        ) from None


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "\u2026"


async def _list(settings: Settings, args: argparse.Namespace) -> None:
    from dead_letters.store import LetterStatus

    licence = licence_id(args.licence)
    async with _desk(settings) as desk:
        status = LetterStatus(args.status) if args.status else None
        letters = await desk.summaries(licence, status, args.limit)
        counts = await desk.counts()
    rows = [
        (
            str(letter.letter_id),
            when(letter.received_at),
            letter.licence_id,
            _cut(letter.connector_id or "-", CONNECTOR_WIDTH),
            letter.status.value,
            letter.reason,
        )
        for letter in letters
    ]
    for line in table(("ID", "RECEIVED", "LICENCE", "CONNECTOR", "STATUS", "REASON"), rows):
        print(line)
    total = ", ".join(f"{count} {status}" for status, count in counts.items())
    print(f"({len(letters)} shown; {total} in all)")


async def _show(settings: Settings, args: argparse.Namespace) -> None:
    letter_id = _letter_id(args.letter_id)
    async with _desk(settings) as desk:
        letter = await desk.letter(letter_id)
    if letter is None:
        raise CliError(f"no dead letter {letter_id}: list them with `ero dlq list`")
    if args.json:
        print(letter.model_dump_json())
        return
    print(f"letter       {letter.letter_id}")
    print(f"status       {letter.status.value}")
    if letter.replayed_at is not None:
        print(f"replayed at  {when(letter.replayed_at)}")
        print(f"as events    {', '.join(map(str, letter.replayed_event_ids))}")
    print(f"received at  {when(letter.received_at)}")
    print(f"licence      {letter.licence_id}")
    print(f"connector    {letter.connector_id or '-'}")
    print(f"source       {letter.source}, line {letter.line}")
    for reason in letter.reasons:
        print(f"reason       {reason.field}: {reason.reason}")
    print("original:")
    print(letter.raw)


def _letter_id(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError as exc:
        raise CliError(f"{text!r} is not a letter id (a UUID from `ero dlq list`)") from exc


async def _replay(settings: Settings, args: argparse.Namespace) -> None:
    from dead_letters.store import LetterStatus

    licence = licence_id(args.licence)
    if args.all == bool(args.letter_ids):
        raise CliError("name the letters to replay, or pass --all (not both)")
    if args.licence and not args.all:
        raise CliError("--licence goes with --all")
    async with _desk(settings) as desk:
        if args.all:
            pending = await desk.summaries(licence, LetterStatus.PENDING, 100_000)
            letter_ids = [letter.letter_id for letter in pending]
        else:
            letter_ids = [_letter_id(text) for text in args.letter_ids]
        outcomes: list[LetterReplayOutcome] = []
        unknown: list[uuid.UUID] = []
        for start in range(0, len(letter_ids), REPLAY_CHUNK):
            report = await desk.replay(letter_ids[start : start + REPLAY_CHUNK])
            outcomes += report.outcomes
            unknown += report.unknown
            done = min(start + REPLAY_CHUNK, len(letter_ids))
            sys.stderr.write(f"\rreplaying {done}/{len(letter_ids)} letters")
        if letter_ids:
            sys.stderr.write("\n")
    refused = [outcome for outcome in outcomes if not outcome.replayed]
    for outcome in refused[:SHOWN_REFUSALS]:
        reasons = "; ".join(f"{r.field}: {r.reason}" for r in outcome.reasons)
        print(f"still refused  {outcome.letter_id}  {reasons}")
    if len(refused) > SHOWN_REFUSALS:
        print(f"... and {len(refused) - SHOWN_REFUSALS} more: `ero dlq list --status pending`")
    print(
        f"{len(outcomes) - len(refused)} replayed, {len(refused)} still refused "
        "(they stay, with the new reasons)"
    )
    if unknown:
        raise CliError(f"no dead letter {', '.join(map(str, unknown))}")


Command = Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, None]]


def _run(command: Command) -> Callable[[argparse.Namespace], None]:
    return lambda args: asyncio.run(command(read_settings(), args))


def register(commands: Subparsers) -> None:
    dlq = commands.add_parser(
        "dlq", help="dead letters: rejected lines, kept with their reasons"
    ).add_subparsers(dest="dlq_command", required=True)
    listing = dlq.add_parser("list", help="newest first: id, when, licence, connector, reason")
    listing.add_argument("--licence", help="only this licence's letters (its id)")
    listing.add_argument("--status", choices=STATUSES)
    listing.add_argument("--limit", type=at_least(1), default=100)
    listing.set_defaults(func=_run(_list))
    show = dlq.add_parser("show", help="one letter: reasons and the original line")
    show.add_argument("letter_id")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=_run(_show))
    replay = dlq.add_parser(
        "replay", help="re-validate with the current schema; append what is now valid"
    )
    replay.add_argument("letter_ids", nargs="*", metavar="ID")
    replay.add_argument("--all", action="store_true", help="every pending letter")
    replay.add_argument("--licence", help="with --all: only this licence's letters (its id)")
    replay.set_defaults(func=_run(_replay))
