"""SyncEvent lines as a connector would post them, with sensible defaults."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import ConsumerRecord

from schemas import SyncEvent


def sync_line(**overrides: Any) -> dict[str, Any]:
    """A valid line (fresh event_id, now); `event_id=None` leaves the id to the server."""
    line = {
        "event_id": str(uuid.uuid4()),
        "connector_id": "shop-1",
        "occurred_at": datetime.now(UTC).isoformat(),
        "operation": "order.import",
        "message": "Commande importée",
    } | overrides
    return {key: value for key, value in line.items() if value is not None}


def order_events(count: int, tag: str, at: datetime, minutes: int = 1) -> list[SyncEvent]:
    """`count` order lines with fresh ids, every other one an error, spread over `minutes`
    minutes up to `at`."""
    return [
        SyncEvent(
            event_id=uuid.uuid4(),
            connector_id="c",
            occurred_at=at - timedelta(minutes=n % minutes),
            operation="order.import",
            status="erreur" if n % 2 else "ok",
            message=f"Article {tag}-{n} absent de la gestion commerciale",
        )
        for n in range(count)
    ]


def raw_record(
    value: bytes,
    headers: list[tuple[str, bytes]],
    offset: int = 0,
    key: bytes = b"L1",
    timestamp_ms: int = 1_700_000_000_000,
) -> ConsumerRecord:
    """A record of the raw topic as a consumer fetches it."""
    return ConsumerRecord(
        topic="raw",
        partition=0,
        offset=offset,
        timestamp=timestamp_ms,
        timestamp_type=0,
        key=key,
        value=value,
        checksum=None,
        serialized_key_size=len(key),
        serialized_value_size=len(value),
        headers=headers,
    )
