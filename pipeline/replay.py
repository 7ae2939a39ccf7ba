"""Replay and rebuild: re-derive sync_events and its rollups into shadow tables, then swap them in.

Sources: the raw topic (re-classified with the current rules), the classified topic (projected
as it is), or the archive (raw records, re-classified). Each is read from its start, or from
`since` (by accept time), by a fresh consumer group or by paging the archive. Whatever the
replay does not re-derive (events older than the log or than `since`, events accepted while it
runs) is copied from the live tables before the swap, so the swap loses and doubles nothing.

The same job runs in the CLI's process when nothing else holds ClickHouse, or in the running
pipeline when the CLI asks it to (`POST /v1/admin/replays`).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, Self

import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition
from pydantic import BaseModel, ValidationError, model_validator

from infra.clickhouse import ClickHouse
from infra.topics import Topics
from knowledge.links import OWN_LINKS, KnowledgeLinks
from processors.catalog import load_catalog
from processors.catalog_store import CatalogStore
from processors.classifier import Classifier
from processors.live_rules import initial_catalog
from projections.archive import ArchiveReader
from projections.shadow import ShadowTables
from projections.sync_events import Accepted, Row, SyncEventsWriter, row, rows_of
from projections.write_gate import PROJECTION_GATE, WriteGate
from query_api.instants import Instant
from schemas import ClassifiedBatch, RawBatch
from schemas.line_errors import line_error

log = structlog.get_logger(__name__)


class Source(StrEnum):
    RAW = "raw"
    CLASSIFIED = "classified"
    ARCHIVE = "archive"


class ReplayRequest(BaseModel):
    source: Source
    from_beginning: bool = False
    since: Instant | None = None

    @model_validator(mode="after")
    def _one_start(self) -> Self:
        if self.source is not Source.ARCHIVE and self.from_beginning == (self.since is not None):
            raise line_error(
                "replay_start",
                "a topic replay needs exactly one of from_beginning or since",
                "un rejeu de topic demande from_beginning ou since, l’un des deux",
            )
        if self.from_beginning and self.since is not None:
            raise line_error(
                "replay_start",
                "give from_beginning or since, not both",
                "donnez from_beginning ou since, pas les deux",
            )
        return self


class State(StrEnum):
    REPLAYING = "replaying"
    RECONCILING = "reconciling"
    SWAPPING = "swapping"
    DONE = "done"
    FAILED = "failed"


FINAL_STATES = (State.DONE, State.FAILED)


class ReplayStatus(BaseModel):
    job_id: str
    source: Source
    state: State
    records_done: int
    records_total: int
    events_done: int
    events_per_second: float
    eta_seconds: float | None
    copied_from_live: int
    skipped_records: int
    tables: list[str]
    error: str | None


@dataclass(frozen=True)
class ReplayLog:
    """Where a topic replay reads: the broker, the pipeline's topics, its groups' prefix; and
    where the events it classifies again link to their articles."""

    bootstrap: str
    topics: Topics
    group_prefix: str
    links: KnowledgeLinks


class RecordSource(Protocol):
    """Where replayed records come from: a topic or the archive."""

    async def total(self) -> int: ...

    def chunks(self) -> AsyncIterator[list[bytes]]: ...

    async def close(self) -> None: ...


class TopicSource:
    """A topic read by a fresh consumer group, from its beginning to its end when the job began
    (later records reach the live tables, and are copied from there)."""

    def __init__(self, bootstrap: str, topic: str, group: str) -> None:
        self._topic = topic
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False
        )
        self._ends: dict[TopicPartition, int] = {}

    async def total(self) -> int:
        await self._consumer.start()
        await self._consumer.topics()
        ids = self._consumer.partitions_for_topic(self._topic) or set()
        partitions = [TopicPartition(self._topic, p) for p in sorted(ids)]
        self._consumer.assign(partitions)
        begins = await self._consumer.beginning_offsets(partitions)
        self._ends = await self._consumer.end_offsets(partitions)
        return sum(self._ends[tp] - begins[tp] for tp in partitions)

    async def chunks(self) -> AsyncIterator[list[bytes]]:
        await self._consumer.seek_to_beginning()
        pending = {tp for tp, end in self._ends.items() if end > 0}
        while pending:
            fetched = await self._consumer.getmany(*pending, timeout_ms=500, max_records=500)
            values = [
                record.value
                for tp, records in fetched.items()
                for record in records
                if record.offset < self._ends[tp] and record.value is not None
            ]
            if values:
                yield values
                await self._consumer.commit()
            for tp in list(pending):
                if await self._consumer.position(tp) >= self._ends[tp]:
                    pending.discard(tp)

    async def close(self) -> None:
        await self._consumer.stop()


class ArchiveSource:
    def __init__(self, reader: ArchiveReader) -> None:
        self._reader = reader

    async def total(self) -> int:
        return (await self._reader.size()).records

    def chunks(self) -> AsyncIterator[list[bytes]]:
        return self._reader.pages()

    async def close(self) -> None:
        """Nothing held between pages."""


Decoder = Callable[[bytes], list[Row]]


def decoder(source: Source, clickhouse: ClickHouse, links: KnowledgeLinks) -> Decoder:
    """Raw records are classified with the newest catalog ClickHouse knows (the one the running
    workers apply); classified records are projected as they are."""
    if source is Source.CLASSIFIED:
        return lambda value: rows_of(ClassifiedBatch.model_validate_json(value))
    explain = Classifier(initial_catalog(CatalogStore(clickhouse), load_catalog()), links).explain

    def reclassified(value: bytes) -> list[Row]:
        raw = RawBatch.model_validate_json(value)
        accepted = Accepted(raw.licence_id, raw.received_at)
        return [
            row(accepted, event, explain(event.operation, event.status, event.code, event.message))
            for event in (line.with_identity(raw.licence_id) for line in raw.events)
        ]

    return reclassified


class ReplayJob:
    def __init__(
        self,
        job_id: str,
        request: ReplayRequest,
        clickhouse: ClickHouse,
        records: RecordSource,
        gate: WriteGate = PROJECTION_GATE,
        links: KnowledgeLinks = OWN_LINKS,
    ) -> None:
        self.job_id = job_id
        self._links = links
        self.request = request
        self._clickhouse = clickhouse
        self._records = records
        self._gate = gate
        self._state = State.REPLAYING
        self._records_total = 0
        self._records_done = 0
        self._events_done = 0
        self._skipped = 0
        self._copied = 0
        self._tables: list[str] = []
        self._error: str | None = None
        self._started = time.monotonic()

    def status(self) -> ReplayStatus:
        elapsed = max(time.monotonic() - self._started, 1e-6)
        eta = None
        if self._state is State.REPLAYING and self._records_done:
            left = max(self._records_total - self._records_done, 0)
            eta = left * elapsed / self._records_done
        return ReplayStatus(
            job_id=self.job_id,
            source=self.request.source,
            state=self._state,
            records_done=self._records_done,
            records_total=self._records_total,
            events_done=self._events_done,
            events_per_second=self._events_done / elapsed,
            eta_seconds=eta,
            copied_from_live=self._copied,
            skipped_records=self._skipped,
            tables=self._tables,
            error=self._error,
        )

    def _decode(self, decode: Decoder, values: list[bytes]) -> list[Row]:
        since = self.request.since
        rows: list[Row] = []
        for value in values:
            try:
                decoded = decode(value)
            except ValidationError:
                self._skipped += 1  # unreadable: the dead-letter topic has it already
                continue
            rows += [r for r in decoded if since is None or r.accepted.received_at >= since]
        return rows

    async def run(self) -> ReplayStatus:
        shadow: ShadowTables | None = None
        try:
            shadow = await asyncio.to_thread(ShadowTables, self._clickhouse)
            self._tables = shadow.tables
            await asyncio.to_thread(shadow.create)
            await self._replay(SyncEventsWriter(self._clickhouse, table=shadow.source_shadow))
            self._state = State.RECONCILING
            self._copied = await asyncio.to_thread(shadow.copy_missing)
            self._state = State.SWAPPING
            async with self._gate.swapping():
                self._copied += await asyncio.to_thread(shadow.copy_missing)
                await asyncio.to_thread(shadow.swap)
            self._state = State.DONE
            log.info("replay_done", **self.status().model_dump(mode="json"))
        except Exception as exc:  # reported on the status
            self._error = f"{type(exc).__name__}: {exc}"
            if self._state is State.SWAPPING:
                # Some pairs may be exchanged already: keep both sides for the operator.
                self._error += " (during the swap: compare each table with its _shadow)"
            elif shadow is not None:  # the live tables are untouched: only the shadows go
                await asyncio.to_thread(shadow.drop)
            self._state = State.FAILED
            log.error("replay_failed", job_id=self.job_id, error=self._error)
        return self.status()

    async def _replay(self, writer: SyncEventsWriter) -> None:
        decode = await asyncio.to_thread(
            decoder, self.request.source, self._clickhouse, self._links
        )
        try:
            self._records_total = await self._records.total()
            self._started = time.monotonic()
            async for values in self._records.chunks():
                rows = await asyncio.to_thread(self._decode, decode, values)
                await writer.write(rows)
                self._records_done += len(values)
                self._events_done += len(rows)
        finally:
            await self._records.close()


def record_source(
    request: ReplayRequest, log_of: ReplayLog, clickhouse: ClickHouse, job_id: str
) -> RecordSource:
    if request.source is Source.ARCHIVE:
        return ArchiveSource(ArchiveReader(clickhouse, request.since))
    topics = log_of.topics
    topic = topics.raw if request.source is Source.RAW else topics.classified
    return TopicSource(log_of.bootstrap, topic, f"{log_of.group_prefix}-replay-{job_id}")


def new_job(request: ReplayRequest, log_of: ReplayLog, clickhouse: ClickHouse) -> ReplayJob:
    job_id = uuid.uuid4().hex[:12]
    records = record_source(request, log_of, clickhouse, job_id)
    return ReplayJob(job_id, request, clickhouse, records, links=log_of.links)


class JobRunning(RuntimeError):
    pass


class ReplayJobs:
    """The jobs one process ran; one at a time (they share the shadow tables)."""

    def __init__(self) -> None:
        self._jobs: dict[str, ReplayJob] = {}
        self._tasks: set[asyncio.Task[ReplayStatus]] = set()

    def start(self, job: ReplayJob) -> ReplayJob:
        for other in self._jobs.values():
            if other.status().state not in FINAL_STATES:
                raise JobRunning(f"replay {other.job_id} is still running")
        self._jobs[job.job_id] = job
        task = asyncio.ensure_future(job.run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return job

    def get(self, job_id: str) -> ReplayJob | None:
        return self._jobs.get(job_id)
