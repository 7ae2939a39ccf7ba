"""Liveness and readiness."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from ero.services import Services, services

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is alive")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="The broker and ClickHouse are reachable")
async def readyz(svc: Annotated[Services, Depends(services)]) -> JSONResponse:
    checks = {
        "broker": await svc.producer.ready(),
        "clickhouse": await svc.clickhouse.ping(),
    }
    down = [name for name, up in checks.items() if not up]
    return JSONResponse(
        {"ready": not down, "checks": checks, "down": down}, status_code=503 if down else 200
    )
