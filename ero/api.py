"""The HTTP application: ingest gateway, query API and operator endpoints on one FastAPI app."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, fields

import structlog
import uvicorn
from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from accounts.admin_http import router as account_admin_router
from accounts.http import router as auth_router
from accounts.operator_journal import router as operator_journal_router
from accounts.service import Accounts
from accounts.sessions import SessionResolver
from accounts.store import AccountStore
from accounts.team_http import router as team_router
from accounts.throttle import SignInThrottle
from alerts.http import router as alerts_router
from alerts.senders import Senders
from control_plane.bus import ControlBus
from control_plane.delivery import SupportDelivery
from control_plane.fingerprint import KeyFingerprint
from control_plane.help import ViewCounter
from control_plane.http.account import router as account_router
from control_plane.http.action_effects import operator_router as fleet_effects_router
from control_plane.http.action_effects import router as action_effects_router
from control_plane.http.actions import ActionPolicy
from control_plane.http.actions import router as actions_router
from control_plane.http.admin_tickets import OperatorRoster
from control_plane.http.admin_tickets import router as admin_tickets_router
from control_plane.http.agent import router as agent_router
from control_plane.http.audit import router as audit_router
from control_plane.http.configurations import router as configurations_router
from control_plane.http.group_workflow import router as group_workflow_router
from control_plane.http.help import router as help_router
from control_plane.http.licence_status import router as licence_status_router
from control_plane.http.notifications import router as notifications_router
from control_plane.http.tickets import router as tickets_router
from control_plane.http.timeline import router as timeline_router
from control_plane.store import ControlStore
from dead_letters.http import router as dead_letters_router
from dead_letters.store import DeadLetterStore
from ero.deployment import Deployment
from ero.metrics_http import router as metrics_router
from ero.prometheus import install as install_metrics
from ero.prometheus import watch_dead_letters
from ero.replay_audit import ControlReplayAudit
from ero.settings import Settings
from infra.append_gate import AppendGate
from infra.clickhouse import ClickHouse
from infra.http_errors import document_errors
from infra.http_guards import BodyLimits, install_http_guards
from infra.log_producer import LogProducer
from infra.mail import mailer
from infra.rate_limit import WriteLimiter
from infra.topics import Topics
from ingest.event_log import KafkaEventLog
from ingest.http import IngestLimits
from ingest.http import router as ingest_router
from ingest.parsing import TimeBounds
from licences import LicenceStore
from licences.keys_http import router as keys_router
from pipeline.replay import ReplayLog
from pipeline.replay_http import router as replay_router
from processors.http import router as rules_router
from query_api.connectors import router as connectors_router
from query_api.dashboard import router as dashboard_router
from query_api.export import router as export_router
from query_api.groups import operator_router as fleet_groups_router
from query_api.groups import router as groups_router
from query_api.health import router as health_router
from query_api.reports import router as reports_router
from query_api.sync_runs import router as sync_runs_router
from query_api.trends import router as trends_router
from web.api_docs import mount_api_docs
from web.help import mount_help
from web.serve import mount_web


@dataclass(frozen=True)
class ApiState:
    """What the routers ask for by name (infra.http_state.from_state): one of each per process,
    set as `app.state.<field>` by create_api."""

    clickhouse: ClickHouse
    producer: LogProducer
    topics: Topics
    licences: LicenceStore
    operator_token: str
    event_log: KafkaEventLog
    control: ControlBus
    ingest_limits: IngestLimits
    time_bounds: TimeBounds
    action_policy: ActionPolicy
    support_delivery: SupportDelivery
    replay_log: ReplayLog
    body_limits: BodyLimits
    write_limiter: WriteLimiter
    pc_key_fingerprint: KeyFingerprint
    accounts: Accounts
    sessions: SessionResolver
    help_views: ViewCounter
    help_limiter: WriteLimiter
    replay_audit: ControlReplayAudit
    operator_roster: OperatorRoster
    alert_senders: Senders


def app_state(
    deployment: Deployment,
    clickhouse: ClickHouse,
    operator_token: str,
    gate: AppendGate | None = None,
) -> ApiState:
    """`gate`: where the gateway's appends wait while their topics are recycled (`ero run`)."""
    producer = LogProducer(deployment.producer, gate)
    topics = deployment.topics
    licences = LicenceStore(clickhouse)
    control = ControlBus(
        producer,
        topics.control,
        ControlStore(clickhouse),
        visible_timeout=deployment.settings.control_visible_timeout_seconds,
    )
    account_store = AccountStore(control.store)
    accounts = Accounts(
        control,
        account_store,
        mailer(deployment.mail),
        deployment.account_policy,
        SignInThrottle(deployment.sign_in_limits),
    )
    return ApiState(
        clickhouse=clickhouse,
        producer=producer,
        topics=topics,
        licences=licences,
        operator_token=operator_token,
        event_log=deployment.event_log(producer),
        control=control,
        ingest_limits=deployment.ingest_limits,
        time_bounds=deployment.time_bounds,
        action_policy=deployment.action_policy,
        support_delivery=deployment.support_delivery,
        replay_log=deployment.replay_log,
        body_limits=deployment.body_limits,
        write_limiter=WriteLimiter(deployment.rate_limits),
        pc_key_fingerprint=deployment.pc_key_fingerprint,
        accounts=accounts,
        sessions=SessionResolver(accounts, licences),
        help_views=ViewCounter(control),
        help_limiter=WriteLimiter(deployment.help_feedback_limits),
        replay_audit=ControlReplayAudit(control),
        operator_roster=account_store,
        alert_senders=Senders(mailer(deployment.mail), deployment.alerting.public_url),
    )


class RequestContext:
    """Each request's log lines name its path. Pure ASGI on purpose, as any middleware here must
    be: Starlette's BaseHTTPMiddleware (`@app.middleware("http")`) ends a streamed body cleanly
    when the app fails mid-stream, so a cut export would look complete to the client."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            structlog.contextvars.clear_contextvars()
            structlog.contextvars.bind_contextvars(path=scope["path"])
        await self.app(scope, receive, send)


def create_api(state: ApiState) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        counting = asyncio.create_task(state.help_views.run())
        yield
        counting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await counting
        await state.help_views.flush()
        await state.producer.stop()

    app = FastAPI(
        title="ERO",
        version="1",
        summary="Reporting cloud for ERP <-> e-commerce connectors",
        lifespan=lifespan,
        docs_url=None,  # mount_api_docs serves it without a CDN; no ReDoc (a CDN's too)
        redoc_url=None,
    )
    install_http_guards(app, state.body_limits)  # first: the innermost middlewares
    for field in fields(state):
        setattr(app.state, field.name, getattr(state, field.name))
    install_metrics()
    watch_dead_letters(DeadLetterStore(state.clickhouse))

    app.add_middleware(RequestContext)

    for router in (
        ingest_router,
        auth_router,
        account_admin_router,
        operator_journal_router,
        dashboard_router,
        export_router,  # before reports: /v1/reports/export is not a report id
        reports_router,
        trends_router,
        timeline_router,
        connectors_router,
        sync_runs_router,
        health_router,
        rules_router,
        groups_router,
        group_workflow_router,
        alerts_router,
        action_effects_router,
        fleet_effects_router,
        fleet_groups_router,
        configurations_router,
        actions_router,
        agent_router,
        account_router,
        keys_router,
        team_router,
        notifications_router,
        tickets_router,
        admin_tickets_router,
        audit_router,
        licence_status_router,
        dead_letters_router,
        help_router,
        metrics_router,
        replay_router,
    ):
        app.include_router(document_errors(router))
    mount_web(app)
    mount_help(app)
    mount_api_docs(app)
    return app


class HostedServer(uvicorn.Server):
    """uvicorn hosted in another service's loop: the host (Faust's worker) keeps the signals."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def api_server(
    app: FastAPI, host: str, port: int, *, hosted: bool, trusted_proxies: str = "127.0.0.1"
) -> uvicorn.Server:
    """`trusted_proxies`: whose X-Forwarded-For names the client (ERO_FORWARDED_ALLOW_IPS)."""
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        lifespan="on",
        proxy_headers=True,
        forwarded_allow_ips=trusted_proxies,
    )
    return HostedServer(config) if hosted else uvicorn.Server(config)


def read_only_state(
    settings: Settings, clickhouse: ClickHouse, operator_token: str | None = None
) -> ApiState:
    """What the query API needs, for a process that never ingests (benchmarks, query tests):
    its log producer points nowhere and is never connected to; no operator token works but
    `operator_token`, if given."""
    nowhere = Deployment.resolve(settings, bootstrap="127.0.0.1:9")
    return app_state(nowhere, clickhouse, operator_token or secrets.token_urlsafe(32))
