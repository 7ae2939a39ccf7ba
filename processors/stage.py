"""The hot stage: raw records in; classified events stored in ClickHouse, published on the
classified topic; unreadable records kept as dead letters. Then, and only then, the input is
committed (streaming/batch_consumer.py).

One hop: the events are stored by the process that classified them, from memory, instead of
being encoded, sent through the broker, fetched and decoded once more by a second stage; the
classified topic stays the pipeline's output feed (other consumers, replays). Per event: one
pydantic validation (a raw record may come from a direct producer, not only from the gateway),
one classification looked up by message shape, one JSON encoding for the feed, the columns.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog
from aiokafka import ConsumerRecord
from pydantic import ValidationError

from ero.acking import retry_forever
from ero.log_producer import LogProducer, Record
from ero.metrics import CLASSIFICATION_SECONDS, CLASSIFIED
from processors.classifier import Classifier
from projections.sync_events import Accepted, Block, Row, SyncEventsWriter, row
from schemas import RawBatch
from schemas.classified import classified_json
from schemas.dead_letter import unreadable_record
from schemas.records import pack_records

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Prepared:
    block: Block | None
    """The rows to store; None for a classify-only worker."""
    records: list[Record]
    """Classified records for the feed, and dead letters."""


class ClassifyAndStore:
    """The step of the raw topic's BatchConsumer. Without a writer (a classify-only worker) the
    classified events only go to the feed, which a `project` stage stores."""

    def __init__(
        self,
        *,
        classifier: Callable[[], Classifier],
        writer: SyncEventsWriter | None,
        producer: LogProducer,
        classified_topic: str,
        dead_letter_topic: str,
        max_record_bytes: int,
    ) -> None:
        self._classifier = classifier
        self._writer = writer
        self._producer = producer
        self._classified_topic = classified_topic
        self._dead_letter_topic = dead_letter_topic
        self._max_record_bytes = max_record_bytes

    def prepare(self, records: Sequence[ConsumerRecord]) -> Prepared:
        started = time.perf_counter()
        explain = self._classifier().explain  # one catalog version per batch
        rows: list[Row] = []
        feed: dict[str, list[bytes]] = {}
        accepted_by: dict[tuple[str, datetime], Accepted] = {}
        letters: list[Record] = []
        for record in records:
            try:
                batch = RawBatch.model_validate_json(record.value)
            except ValidationError as exc:
                letter = _dead_letter(record, exc)
                letters.append((self._dead_letter_topic, record.key or b"", letter))
                continue
            licence_id = batch.licence_id
            accepted = accepted_by.get((licence_id, batch.received_at))
            if accepted is None:
                accepted = accepted_by[licence_id, batch.received_at] = Accepted(
                    licence_id, batch.received_at
                )
            encoded = feed.setdefault(licence_id, [])
            for raw_event in batch.events:
                event = raw_event.with_identity(licence_id)
                found = explain(event.operation, event.status, event.code, event.message)
                classified = row(accepted, event, found)
                rows.append(classified)
                encoded.append(classified_json(classified.event_json, found, accepted.json_field))
        CLASSIFICATION_SECONDS.observe(time.perf_counter() - started)
        CLASSIFIED.inc(len(rows))
        newest: dict[str, datetime] = {}
        for licence_id, received_at in accepted_by:
            newest[licence_id] = max(received_at, newest.get(licence_id, received_at))
        # The events of every record of one licence go out in as few records as fit.
        out = [
            (self._classified_topic, licence_id.encode(), value)
            for licence_id, events in feed.items()
            for value in pack_records(
                licence_id, newest[licence_id], events, self._max_record_bytes
            )
        ]
        block = self._writer.prepare(rows) if self._writer is not None else None
        return Prepared(block, out + letters)

    async def store(self, prepared: Prepared) -> None:
        publish = retry_forever(
            lambda: self._producer.send_all(prepared.records), "classified_publish"
        )
        block, writer = prepared.block, self._writer
        if block is None or writer is None:
            await publish
            return
        await asyncio.gather(writer.store_until_done(block), publish)

    async def close(self) -> None:
        await self._producer.stop()


def _dead_letter(record: ConsumerRecord, exc: ValidationError) -> bytes:
    """A raw record we cannot read (e.g. from a direct producer) is kept, with why."""
    log.warning("raw_record_unreadable", partition=record.partition, offset=record.offset)
    letter = unreadable_record(record, datetime.fromtimestamp(record.timestamp / 1000, UTC), exc)
    return letter.__pydantic_serializer__.to_json(letter)
