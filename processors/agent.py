"""The classification agent: raw records -> classified records, one record out per record in.

Each output record is acked by the brokers before its input is acked, so a crash replays
the input rather than losing it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import structlog
from pydantic import ValidationError

from ero.acking import acked_batches
from ero.metrics import classify_all
from processors.classifier import Classifier
from schemas import RawBatch
from schemas.dead_letter import unreadable_record
from schemas.records import encode_batches

log = structlog.get_logger(__name__)


def register_classification(
    app: Any,
    raw_topic: Any,
    classified_topic: Any,
    dead_letter_topic: Any,
    classifier: Callable[[], Classifier],
    max_records: int,
    max_record_bytes: int,
    on_done: Callable[[Any], None] = lambda _: None,
) -> Any:
    @app.agent(raw_topic, name="classify-sync-events")
    async def classify(stream: Any) -> None:
        async for faust_events in acked_batches(stream, max_records, 0.05, on_done):
            deliveries = []
            classify_one = classifier().classify  # one catalog version per batch
            for faust_event in faust_events:
                try:
                    batch = RawBatch.model_validate_json(faust_event.value)
                except ValidationError as exc:
                    deliveries.append(
                        await dead_letter_topic.send(
                            key=faust_event.key, value=_dead_letter(faust_event, exc)
                        )
                    )
                    continue
                classified = classify_all(classify_one, batch.events)
                for record in encode_batches(
                    batch.licence_id, batch.received_at, classified, max_record_bytes
                ):
                    deliveries.append(
                        await classified_topic.send(key=faust_event.key, value=record)
                    )
            await asyncio.gather(*deliveries)

    return classify


def _dead_letter(faust_event: Any, exc: ValidationError) -> bytes:
    """A raw record we cannot read (e.g. from a direct producer) is kept, with why."""
    message = faust_event.message
    log.warning("raw_record_unreadable", partition=message.partition, offset=message.offset)
    letter = unreadable_record(faust_event, exc)
    return letter.__pydantic_serializer__.to_json(letter)
