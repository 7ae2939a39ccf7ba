"""The projection agent: classified records -> ClickHouse, then (only then) offsets acked.

Snuba's order: consume -> batch -> insert -> commit. Records are acked after the insert
succeeds; a failed insert is retried with backoff and nothing is acked meanwhile, so a crash
replays the batch and the ReplacingMergeTree absorbs the repeat.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import structlog

from projections.sync_events import SyncEventsWriter
from schemas import ClassifiedBatch

log = structlog.get_logger(__name__)

MAX_BACKOFF_SECONDS = 30.0


def register_projection(
    app: Any,
    classified_topic: Any,
    writer: SyncEventsWriter,
    max_records: int,
    within: float,
    on_done: Callable[[Any], None] = lambda _: None,
) -> Any:
    @app.agent(classified_topic, name="project-sync-events")
    async def project(stream: Any) -> None:
        async for faust_events in stream.noack_take(max_records, within=within):
            batches = [ClassifiedBatch.model_validate_json(e.value) for e in faust_events]
            backoff = 0.5
            while True:
                try:
                    rows = await writer.write(batches)
                    break
                except Exception as exc:  # any insert failure: keep the records, retry
                    log.error("projection_insert_failed", error=str(exc), retry_in=backoff)
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
            for faust_event in faust_events:
                await stream.ack(faust_event)
                on_done(faust_event)
            log.debug("projection_inserted", rows=rows, records=len(batches))

    return project
