"""SyncEvent lines as a connector would post them, with sensible defaults."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
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


def corpus_events(
    path: Path, connectors: tuple[str, ...] = ("shop-a", "shop-b")
) -> list[dict[str, Any]]:
    """The corpus as SyncEvents of the last hour, spread over connectors, with expectations."""
    now = datetime.now(UTC).replace(microsecond=0)  # whole seconds: stored times equal sent ones
    events = []
    for index, line in enumerate(path.read_text().splitlines()):
        row = orjson.loads(line)
        events.append(
            {
                "event_id": str(uuid.uuid4()),
                "connector_id": connectors[index % len(connectors)],
                "occurred_at": (now - timedelta(minutes=index)).isoformat(),
                "operation": row["operation"],
                "reference": f"REF-{index:03d}",
                "status": row["status"],
                "code": row["code"],
                "message": row["message"],
                "sync_id": f"run-{index // 10}",
                "expected": row["expected"],
            }
        )
    return events


def without_expectations(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in event.items() if k != "expected"} for event in events]
