"""GET /metrics: the process's Prometheus registry (worker and API alike when they share it)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

router = APIRouter(tags=["health"])


@router.get("/metrics", summary="Prometheus metrics of this process", response_class=Response)
async def metrics() -> Response:
    # Scraping reads ClickHouse (the dead-letter backlog): off the event loop.
    body = await asyncio.to_thread(generate_latest, REGISTRY)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
