"""What a router needs from the process, as FastAPI dependencies the composition root fills in.

A package's routes declare what they use (`from_state("clickhouse", ClickHouse)`); the root
(ero/api.py) puts one object of each under that name in `app.state` when it builds the app. So
no route reaches up into the root, and a route cannot see what it did not ask for.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, TypeVar, cast

from fastapi import Depends, Request

from infra.clickhouse import ClickHouse
from infra.log_producer import LogProducer
from infra.topics import Topics

T = TypeVar("T")


def from_state(name: str, kind: type[T]) -> Callable[[Request], Coroutine[None, None, T]]:
    """A dependency returning `app.state.<name>`, which the root set to a `kind`. A coroutine,
    so FastAPI calls it on the event loop: a plain function would be sent to its thread pool,
    a thread hop per dependency and request."""

    async def dependency(request: Request) -> T:
        return cast(T, getattr(request.app.state, name))

    dependency.__name__ = f"state_{name}"
    return dependency


ClickHouseDep = Annotated[ClickHouse, Depends(from_state("clickhouse", ClickHouse))]
ProducerDep = Annotated[LogProducer, Depends(from_state("producer", LogProducer))]
TopicsDep = Annotated[Topics, Depends(from_state("topics", Topics))]
