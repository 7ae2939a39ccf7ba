"""SyncEvent lines as a connector would post them, with sensible defaults."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any


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
