"""Operator endpoints for dead letters: what `ero dlq` calls while a pipeline runs.

On the embedded default only the running process may open the chdb path, so the CLI goes
through these; with no API answering it runs the same desk in-process (ero/cli/dlq.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Annotated, Protocol

from fastapi import APIRouter, Depends, Query

from dead_letters.desk import (
    MAX_REPLAY,
    DeadLetterDesk,
    LetterReplayOutcome,
    LetterReplayReport,
    LetterReplayRequest,
)
from dead_letters.store import DeadLetterStore, LetterStatus, LetterSummary, StoredLetter
from infra.http_errors import ContentTooLarge, NotFound, Unavailable, errors
from infra.http_state import ClickHouseDep, from_state
from ingest.event_log import LogUnavailable
from ingest.http import EventLogDep
from ingest.parsing import TimeBounds
from licences.http import Operator, OperatorPrincipal

router = APIRouter(tags=["operators"], dependencies=[Operator])


class ReplayAudit(Protocol):
    """Records who replayed which letters in their licences' audit (the root sets it: the
    control log is not this layer's)."""

    async def replayed(self, actor: str, outcomes: Sequence[LetterReplayOutcome]) -> None:
        """Raises LogUnavailable when the record cannot be appended."""
        ...


Audit = Annotated[ReplayAudit, Depends(from_state("replay_audit", ReplayAudit))]


async def _desk(
    clickhouse: ClickHouseDep,
    event_log: EventLogDep,
    bounds: Annotated[TimeBounds, Depends(from_state("time_bounds", TimeBounds))],
) -> DeadLetterDesk:
    return DeadLetterDesk(DeadLetterStore(clickhouse), event_log, bounds)


Desk = Annotated[DeadLetterDesk, Depends(_desk)]


@router.get(
    "/v1/admin/dead-letters",
    response_model=list[LetterSummary],
    summary="Rejected lines, newest first",
)
async def list_letters(
    desk: Desk,
    licence_id: Annotated[str | None, Query(description="only this licence's")] = None,
    letter_status: Annotated[LetterStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 100,
) -> list[LetterSummary]:
    return await desk.summaries(licence_id, letter_status, limit)


@router.get(
    "/v1/admin/dead-letters/counts",
    response_model=dict[str, int],
    summary="Dead letters by status",
)
async def count_letters(desk: Desk) -> dict[str, int]:
    return await desk.counts()


@router.get(
    "/v1/admin/dead-letters/{letter_id}",
    response_model=StoredLetter,
    responses=errors(NotFound),
    summary="One dead letter with its reasons and original text",
)
async def show_letter(letter_id: uuid.UUID, desk: Desk) -> StoredLetter:
    letter = await desk.letter(letter_id)
    if letter is None:
        raise NotFound(
            "dead_letter_not_found",
            f"Aucune lettre morte {letter_id} : listez-les avec `ero dlq list`.",
            f"no dead letter {letter_id}: list them with `ero dlq list`",
        )
    return letter


@router.post(
    "/v1/admin/dead-letters/replay",
    response_model=LetterReplayReport,
    responses=errors(ContentTooLarge, Unavailable),
    summary=f"Re-validate letters with the current schema; append the valid ones (≤ {MAX_REPLAY})",
)
async def replay_letters(
    body: LetterReplayRequest, desk: Desk, operator: OperatorPrincipal, audit: Audit
) -> LetterReplayReport:
    """Each letter asked for is in its licence's audit (`dead_letter.replayed`), naming the
    operator, replayed or still refused."""
    if len(body.letter_ids) > MAX_REPLAY:
        raise ContentTooLarge(
            "too_many_letters",
            f"{MAX_REPLAY} letter_ids au plus par appel ; envoyez les autres ensuite.",
            f"at most {MAX_REPLAY} letter_ids per call; send the rest in further calls",
        )
    try:
        report = await desk.replay(body.letter_ids)
        await audit.replayed(operator.actor, report.outcomes)
        return report
    except LogUnavailable as exc:
        raise Unavailable(
            "event_log_unavailable",
            "Le journal des événements est injoignable ; les lettres déjà rejouées le restent, "
            "rejouez les autres.",
            "the event log is unreachable; letters replayed before it stay replayed, "
            "retry the others",
            headers={"Retry-After": "5"},
        ) from exc
