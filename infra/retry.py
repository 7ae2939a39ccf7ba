"""Retry what is transient, and only that: an outage of the broker or of ClickHouse is waited
out with backoff; anything else (a bug: a TypeError, a KeyError, a failed assertion) is raised
at once, so the consumer stops loudly instead of retrying a programming error for ever.

As arroyo's retry policy does, the caller decides what is transient with a predicate; the
default one knows the failures of the infrastructure this package talks to.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import structlog
from aiokafka.errors import KafkaError
from clickhouse_connect.driver.exceptions import ClickHouseError

from infra.clickhouse import ClickHouseUnavailable
from infra.log_producer import LogUnavailable

log = structlog.get_logger(__name__)

MAX_BACKOFF_SECONDS = 30.0
T = TypeVar("T")
Transient = Callable[[BaseException], bool]

# What ClickHouse itself refused (server down, table missing, too many parts, ...), the broker
# not answering, the network: worth waiting for. Our own exceptions are not in the list.
_INFRASTRUCTURE_FAILURES: tuple[type[BaseException], ...] = (
    ClickHouseError,
    ClickHouseUnavailable,
    KafkaError,
    LogUnavailable,
    OSError,
    TimeoutError,
)


def infrastructure_failure(exc: BaseException) -> bool:
    """The broker, ClickHouse or the network failed: the operation may succeed later."""
    return isinstance(exc, _INFRASTRUCTURE_FAILURES)


async def retry_transient(
    operation: Callable[[], Awaitable[T]],
    what: str,
    context: Callable[[], Mapping[str, Any]] = dict,
    transient: Transient = infrastructure_failure,
    attempts: int | None = None,
) -> T:
    """Retry with backoff while `operation` fails transiently (the records it works on stay
    unacked meanwhile); raise at once what `transient` rejects. `context` names what is stuck
    (licences, connectors, event ids) in the failure's log line. `attempts`: how many tries at
    most, for a caller someone waits on (None: until it succeeds); the last failure is raised."""
    backoff = 0.5
    tried = 0
    while True:
        tried += 1
        try:
            return await operation()
        except Exception as exc:
            if not transient(exc) or tried == attempts:
                log.error(f"{what}_failed_for_good", error=repr(exc), **context())
                raise
            log.error(f"{what}_failed", error=str(exc), retry_in=backoff, **context())
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
