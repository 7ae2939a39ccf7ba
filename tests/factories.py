"""SyncEvent lines as a connector would post them, with sensible defaults."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

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
