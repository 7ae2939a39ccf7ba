"""Every write a licence's reader credential can reach asks the server for a role: member for
the licence's reports, configurations, actions, tickets and read marks, owner for its settings,
team and keys. Read from the app's own routes, so a write route added without a check fails."""

from __future__ import annotations

import inspect

from fastapi import APIRouter, FastAPI

from ero.api import create_api, read_only_state
from ero.settings import Settings
from infra.clickhouse import ClickHouse
from licences.http import MemberPrincipal, ReaderPrincipal
from tests.support.routes import Write, api_routes, calls, reader_writes

OWNER_WRITES = {
    ("PUT", "/v1/account"),
    ("POST", "/v1/pc-key/reset"),
    ("POST", "/v1/keys"),
    ("DELETE", "/v1/keys/{key_id}"),
    ("POST", "/v1/team"),
    ("PUT", "/v1/team/{user_id}"),
    ("DELETE", "/v1/team/{user_id}"),
}
MEMBER_WRITES = {
    ("POST", "/v1/configurations"),
    ("PUT", "/v1/configurations/{configuration_id}"),
    ("DELETE", "/v1/configurations/{configuration_id}"),
    ("POST", "/v1/configurations/{configuration_id}/activate"),
    ("POST", "/v1/configurations/{configuration_id}/versions/{version}/restore"),
    ("POST", "/v1/actions"),
    ("POST", "/v1/actions/{action_id}/cancel"),
    ("POST", "/v1/tickets"),
    ("POST", "/v1/tickets/{number}/replies"),
    ("POST", "/v1/notifications/{notification_id}/read"),
    ("POST", "/v1/groups/{fingerprint}/resolve"),
    ("POST", "/v1/groups/{fingerprint}/ignore"),
    ("POST", "/v1/groups/{fingerprint}/reopen"),
    ("POST", "/v1/groups/{fingerprint}/comments"),
    ("POST", "/v1/alerts/channels"),
    ("DELETE", "/v1/alerts/channels/{channel_id}"),
    ("POST", "/v1/alerts/channels/{channel_id}/test"),
    ("PUT", "/v1/alerts/rules/{kind}"),
    ("PUT", "/v1/alerts/settings"),
}


def test_every_write_a_reader_reaches_needs_a_member_or_an_owner(clickhouse: ClickHouse) -> None:
    app = create_api(read_only_state(Settings(), clickhouse))
    writes = reader_writes(app.routes)
    assert [write for write in writes if write.needs is None] == []
    assert {(w.method, w.path) for w in writes if w.needs == "owner"} == OWNER_WRITES
    assert {(w.method, w.path) for w in writes if w.needs == "member"} == MEMBER_WRITES


def test_a_write_route_without_a_role_check_is_found() -> None:
    """The walk is what the test above relies on: it sees a route that forgot its role, and
    one reached through an included router."""
    router = APIRouter()

    @router.post("/v1/forgotten")
    async def forgotten(principal: ReaderPrincipal) -> None: ...

    @router.delete("/v1/checked")
    async def checked(principal: MemberPrincipal) -> None: ...

    @router.get("/v1/read")
    async def read(principal: ReaderPrincipal) -> None: ...

    app = FastAPI()
    app.include_router(router)
    assert reader_writes(app.routes) == [
        Write("DELETE", "/v1/checked", "member"),
        Write("POST", "/v1/forgotten", None),
    ]


def test_every_dependency_and_endpoint_runs_on_the_event_loop(clickhouse: ClickHouse) -> None:
    """A plain function as a dependency or an endpoint goes to FastAPI's thread pool: a thread
    hop per call and request (3.5 % of the gateway's CPU under load, when four were)."""
    app = create_api(read_only_state(Settings(), clickhouse))
    blocking = {
        f"{route.path}: {getattr(call, '__qualname__', call)}"
        for route in api_routes(app.routes)
        for call in (route.endpoint, *calls(route.dependant))
        if not inspect.iscoroutinefunction(call)
        and not inspect.iscoroutinefunction(type(call).__call__)
    }
    assert blocking == set()
