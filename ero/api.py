"""The HTTP application: ingest gateway, query API and operator endpoints on one FastAPI app."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import structlog
import uvicorn
from fastapi import FastAPI, Request, Response
from starlette.middleware.base import RequestResponseEndpoint

from control_plane.account_http import router as account_router
from control_plane.actions_http import router as actions_router
from control_plane.agent_http import router as agent_router
from control_plane.audit import router as audit_router
from control_plane.configurations_http import router as configurations_router
from control_plane.licence_status_http import router as licence_status_router
from control_plane.notifications_http import router as notifications_router
from control_plane.tickets_http import router as tickets_router
from dead_letters.http import router as dead_letters_router
from dead_letters.store import DeadLetterStore
from ero.metrics import watch_dead_letters
from ero.metrics_http import router as metrics_router
from ero.replay_http import router as replay_router
from ero.services import Services
from ingest.http import router as ingest_router
from licences.admin_http import router as admin_router
from processors.http import router as rules_router
from query_api.dashboard import router as dashboard_router
from query_api.export import router as export_router
from query_api.groups import operator_router as fleet_groups_router
from query_api.groups import router as groups_router
from query_api.health import router as health_router
from query_api.reports import router as reports_router
from query_api.trends import router as trends_router
from web.serve import mount_web


def create_api(services: Services) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await services.producer.stop()

    app = FastAPI(
        title="ERO",
        version="1",
        summary="Reporting cloud for ERP <-> e-commerce connectors",
        lifespan=lifespan,
    )
    app.state.services = services
    watch_dead_letters(DeadLetterStore(services.clickhouse))

    @app.middleware("http")
    async def request_context(request: Request, call_next: RequestResponseEndpoint) -> Response:
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(path=request.url.path)
        return await call_next(request)

    for router in (
        ingest_router,
        dashboard_router,
        export_router,  # before reports: /v1/reports/export is not a report id
        reports_router,
        trends_router,
        health_router,
        admin_router,
        rules_router,
        groups_router,
        fleet_groups_router,
        configurations_router,
        actions_router,
        agent_router,
        account_router,
        notifications_router,
        tickets_router,
        audit_router,
        licence_status_router,
        dead_letters_router,
        metrics_router,
        replay_router,
    ):
        app.include_router(router)
    mount_web(app)
    return app


class HostedServer(uvicorn.Server):
    """uvicorn hosted in another service's loop: the host (Faust's worker) keeps the signals."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def api_server(app: FastAPI, host: str, port: int, *, hosted: bool) -> uvicorn.Server:
    config = uvicorn.Config(
        app, host=host, port=port, log_config=None, access_log=False, lifespan="on"
    )
    return HostedServer(config) if hosted else uvicorn.Server(config)
