"""The app's routes as the code declares them, and what each one's dependencies ask of the
caller: read from FastAPI's own dependency tree, so a route added anywhere is seen."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, get_args

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from licences.http import MemberPrincipal, OwnerPrincipal, ReaderPrincipal

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def dependency_of(annotated: Any) -> Callable[..., Any]:
    """The function behind `Annotated[..., Depends(function)]`."""
    call: Callable[..., Any] = get_args(annotated)[1].dependency
    return call


READER = dependency_of(ReaderPrincipal)
MEMBER = dependency_of(MemberPrincipal)
OWNER = dependency_of(OwnerPrincipal)


def api_routes(routes: Iterable[BaseRoute]) -> Iterator[APIRoute]:
    """The API's routes, through the routers it includes."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from api_routes(included.routes)


def calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    """Every dependency a route runs, however deep."""
    for dependency in dependant.dependencies:
        if dependency.call is not None:
            yield dependency.call
        yield from calls(dependency)


@dataclass(frozen=True)
class Write:
    method: str
    path: str
    needs: str | None
    """"owner", "member", or None: a write a reader's credential reaches with no role check."""


def reader_writes(routes: Iterable[BaseRoute]) -> list[Write]:
    """Every POST/PUT/PATCH/DELETE a licence's reader credential (token or session) reaches,
    with the role it needs."""
    found: list[Write] = []
    for route in api_routes(routes):
        called = set(calls(route.dependant))
        if READER not in called:
            continue
        needs = "owner" if OWNER in called else "member" if MEMBER in called else None
        found.extend(
            Write(method, route.path, needs) for method in sorted((route.methods or set()) & WRITES)
        )
    return sorted(found, key=lambda write: (write.path, write.method))
