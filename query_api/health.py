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
    ready = all(checks.values())
    return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)
