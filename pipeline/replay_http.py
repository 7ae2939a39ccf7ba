"""Operator endpoints for replays: what `ero replay` / `ero rebuild` call on a running pipeline,
whose process owns the ClickHouse path (and, embedded, the broker)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request, status

from infra.http_errors import Conflict, NotFound, errors
from infra.http_state import ClickHouseDep, from_state
from licences.http import Operator
from pipeline.replay import (
    JobRunning,
    ReplayJobs,
    ReplayLog,
    ReplayRequest,
    ReplayStatus,
    new_job,
)

router = APIRouter(tags=["operators"], dependencies=[Operator])


def _jobs(app: FastAPI) -> ReplayJobs:
    jobs: ReplayJobs | None = getattr(app.state, "replay_jobs", None)
    if jobs is None:
        jobs = app.state.replay_jobs = ReplayJobs()
    return jobs


@router.post(
    "/v1/admin/replays",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ReplayStatus,
    responses=errors(Conflict),
)
async def start_replay(
    body: ReplayRequest,
    request: Request,
    clickhouse: ClickHouseDep,
    replay_log: Annotated[ReplayLog, Depends(from_state("replay_log", ReplayLog))],
) -> ReplayStatus:
    try:
        job = _jobs(request.app).start(new_job(body, replay_log, clickhouse))
    except JobRunning as exc:
        raise Conflict(
            "replay_running",
            f"{exc} (une reconstruction tourne déjà) : attendez sa fin, puis lancez la vôtre.",
            f"{exc}: wait for it to finish, then start yours",
        ) from exc
    return job.status()


@router.get("/v1/admin/replays/{job_id}", response_model=ReplayStatus, responses=errors(NotFound))
async def replay_status(job_id: str, request: Request) -> ReplayStatus:
    job = _jobs(request.app).get(job_id)
    if job is None:
        raise NotFound(
            "replay_not_found",
            f"Aucune reconstruction {job_id} dans ce processus : utilisez le job_id rendu au "
            "lancement.",
            f"no replay {job_id} on this process: use the job_id its start returned",
        )
    return job.status()
