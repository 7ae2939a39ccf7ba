"""Every name a route asks the app state for (infra.http_state.from_state) is one the root
fills in: a missing one would be a 500 on the first call of that route."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import fields

from fastapi.dependencies.models import Dependant

from ero.api import ApiState, create_api, read_only_state
from ero.settings import Settings
from infra.clickhouse import ClickHouse
from tests.support.routes import api_routes


def _asked(dependant: Dependant) -> Iterator[str]:
    for dependency in dependant.dependencies:
        name = getattr(dependency.call, "__name__", "")
        if name.startswith("state_"):
            yield name.removeprefix("state_")
        yield from _asked(dependency)


def test_the_root_fills_in_every_state_a_route_asks_for(clickhouse: ClickHouse) -> None:
    app = create_api(read_only_state(Settings(), clickhouse))
    asked = {name for route in api_routes(app.routes) for name in _asked(route.dependant)}
    assert {"clickhouse", "licences", "control", "event_log"} <= asked, "the walk sees them"
    assert asked <= {field.name for field in fields(ApiState)}
    for name in asked:
        assert getattr(app.state, name) is not None
