"""The projection agent: classified records -> ClickHouse, then (only then) offsets acked.

Snuba's order: consume -> batch -> insert -> commit. Records are acked after the insert
succeeds; a failed insert is retried with backoff and nothing is acked meanwhile, so a crash
replays the batch and the ReplacingMergeTree absorbs the repeat.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import structlog

from ero.acking import acked_batches, retry_forever
from ero.logs import batch_ids
from projections.sync_events import SyncEventsWriter
from schemas import ClassifiedBatch

log = structlog.get_logger(__name__)


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
        async for faust_events in acked_batches(stream, max_records, within, on_done):
            batches = [ClassifiedBatch.model_validate_json(e.value) for e in faust_events]
            rows = await retry_forever(
                partial(writer.write, batches), "projection_insert", partial(batch_ids, batches)
            )
            log.debug("projection_inserted", rows=rows, records=len(batches))

    return project
