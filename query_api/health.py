"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from infra.http_state import ClickHouseDep, ProducerDep

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is alive")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


class Readiness(BaseModel):
    ready: bool
    checks: dict[str, bool]
    down: list[str]


@router.get(
    "/readyz",
    summary="The broker and ClickHouse are reachable",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "`down` names what does not answer"}},
)
async def readyz(clickhouse: ClickHouseDep, producer: ProducerDep) -> JSONResponse:
    checks = {
        "broker": await producer.ready(),
        "clickhouse": await clickhouse.ping(),
    }
    down = [name for name, up in checks.items() if not up]
    return JSONResponse(
        Readiness(ready=not down, checks=checks, down=down).model_dump(),
        status_code=503 if down else 200,
    )
