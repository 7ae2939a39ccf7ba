"""The hot stage: raw records in; classified events stored in ClickHouse, published on the
classified topic; every record archived as it is, unreadable ones kept as dead letters too.
Then, and only then, the input is committed (streaming/batch_consumer.py).

One hop: the events are stored by the process that classified them, from memory, instead of
being encoded, sent through the broker, fetched and decoded once more by a second stage; the
classified topic stays the pipeline's output feed (other consumers, replays). Per event: one
orjson decoding (plus a pydantic validation unless our gateway sealed the record: the raw topic
is open to direct producers too), one classification looked up by message shape, the feed's
and the table's JSON spliced from the event's own JSON. The archive's row of a record comes from
the same reading (a second consumer group fetched and read every record again).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import structlog
from aiokafka import ConsumerRecord
from pydantic import ValidationError

from infra.log_producer import LogProducer, Record
from infra.metrics import metrics
from infra.retry import retry_transient
from processors.classifier import Classifier
from projections.archive import ArchivedRow, ArchiveWriter
from projections.sync_events import Accepted, Block, BlockBuilder, Lookup, SyncEventsWriter
from schemas.classified import classified_json
from schemas.dead_letter import unreadable_record
from schemas.event_fields import fields_json, raw_batch_fields, with_event_id
from schemas.event_view import EventView, event_view
from schemas.records import RecordSeal, log_time, pack_records, unpack_record
from streaming.dead_letter_limit import DeadLetterGuard

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Prepared:
    block: Block | None
    """The rows to store; None for a classify-only worker."""
    records: list[Record]
    """Classified records for the feed, and dead letters."""
    archived: list[ArchivedRow]
    """Every input record, for the archive (none when there is no archive to write)."""
    lookup: Lookup | None = None
    """Which of the block's events were stored already, as far as the lookup ahead saw."""


class ClassifyAndStore:
    """The step of the raw topic's BatchConsumer (streaming/batch_consumer.py): `prepare` runs
    in a worker thread (while the previous batch is stored), looks up which of its events are
    stored already, and raises DeadLetterLimitExceeded when too many records are unreadable;
    `store` waits out outages of the broker and ClickHouse (infra/retry.py) and raises anything
    else. Without a writer and an archive (a classify-only worker) the classified events only
    go to the feed, which a `project` stage stores, and the records are archived by that
    process's own consumer (pipeline/archive_raw.py)."""

    def __init__(
        self,
        *,
        classifier: Callable[[], Classifier],
        writer: SyncEventsWriter | None,
        archive: ArchiveWriter | None,
        producer: LogProducer,
        seal: RecordSeal,
        classified_topic: str,
        dead_letter_topic: str,
        max_record_bytes: int,
        guard: DeadLetterGuard,
    ) -> None:
        """`guard` stops the stage when too many raw records cannot be read."""
        self._classifier = classifier
        self._writer = writer
        self._archive = archive
        self._producer = producer
        self._seal = seal
        self._classified_topic = classified_topic
        self._dead_letter_topic = dead_letter_topic
        self._max_record_bytes = max_record_bytes
        self._guard = guard

    def prepare(self, records: Sequence[ConsumerRecord]) -> Prepared:
        started = time.perf_counter()
        explain = self._classifier().explain  # one catalog version per batch
        block = BlockBuilder() if self._writer is not None else None
        feed: dict[str, list[bytes]] = {}
        newest: dict[str, datetime] = {}
        accepted_by: dict[tuple[str, datetime], Accepted] = {}
        letters: list[Record] = []
        archived: list[ArchivedRow] = []
        archiving = self._archive is not None
        count = 0
        for record in records:
            try:
                licence_id, received_at, events = self._events(record)
            except ValidationError as exc:
                self._guard.rejected()
                letter = _dead_letter(record, exc)
                letters.append((self._dead_letter_topic, record.key or b"", letter, ()))
                if archiving:
                    archived.append(ArchivedRow.of(record, self._seal))
                continue
            self._guard.accepted()
            if archiving:
                archived.append(ArchivedRow.filed(record, licence_id, received_at, len(events)))
            accepted = accepted_by.get((licence_id, received_at))
            if accepted is None:
                accepted = accepted_by[licence_id, received_at] = Accepted(licence_id, received_at)
                latest = newest.get(licence_id)
                if latest is None or received_at > latest:
                    newest[licence_id] = received_at
            classified = [
                (
                    event_json,
                    event,
                    explain(event.operation, event.status, event.code, event.message),
                )
                for event_json, event in events
            ]
            if block is not None:
                block.add_record(accepted, classified)
            json_field = accepted.json_field
            feed.setdefault(licence_id, []).extend(
                [
                    classified_json(event_json, found, json_field)
                    for event_json, _, found in classified
                ]
            )
            count += len(classified)
        measure = metrics()
        measure.distribution("classification_batch_seconds", time.perf_counter() - started)
        measure.increment("classified_events", count)
        # The events of every record of one licence go out in as few records as fit.
        out: list[Record] = [
            (self._classified_topic, licence_id.encode(), value, ())
            for licence_id, events_json in feed.items()
            for value in pack_records(
                licence_id, newest[licence_id], events_json, self._max_record_bytes
            )
        ]
        if block is None or self._writer is None:
            return Prepared(None, out + letters, archived)
        built = block.build()
        # While the previous batch is being stored: off the store's path.
        return Prepared(built, out + letters, archived, self._writer.look_ahead(built))

    def _events(
        self, record: ConsumerRecord
    ) -> tuple[str, datetime, list[tuple[bytes, EventView]]]:
        """The record's licence, accept time and events (each as its JSON and what the stage
        reads of it). A record our gateway sealed holds validated events laid out one per line: they
        are taken as they are. Any other record is validated against the contract (raises
        ValidationError) and its events encoded the same way, so both read alike from here."""
        if self._seal.verifies(record.value, record.headers):
            head, sealed = unpack_record(record.value)
            received_at = datetime.fromisoformat(head["received_at"])
            return head["licence_id"], received_at, [(e, event_view(e)) for e in sealed]
        licence_id, received_at, events = raw_batch_fields(record.value)
        encoded = [fields_json(with_event_id(fields, licence_id)) for fields in events]
        return licence_id, received_at, [(e, event_view(e)) for e in encoded]

    async def store(self, prepared: Prepared) -> None:
        publish = retry_transient(
            lambda: self._producer.send_all(prepared.records), "classified_publish"
        )
        block, writer, archive = prepared.block, self._writer, self._archive
        stored: list[Awaitable[object]] = [publish]
        if block is not None and writer is not None:
            stored.append(writer.store_until_done(block, prepared.lookup))
        if archive is not None:
            stored.append(archive.store_until_done(prepared.archived))
        await asyncio.gather(*stored)

    async def close(self) -> None:
        await self._producer.stop()


def _dead_letter(record: ConsumerRecord, exc: ValidationError) -> bytes:
    """A raw record we cannot read (e.g. from a direct producer) is kept, with why."""
    log.warning("raw_record_unreadable", partition=record.partition, offset=record.offset)
    letter = unreadable_record(record, log_time(record.timestamp), exc)
    return letter.__pydantic_serializer__.to_json(letter)
