"""The projection stage of a scaled-out deployment: the classified topic (the feed) into
sync_events, for the process owning ClickHouse while other workers classify (ERO_WORKER_ROLES).
The default one-hop stage (pipeline/classify_and_store.py) stores what it classifies itself and
needs none of this."""

from __future__ import annotations

from collections.abc import Sequence

from aiokafka import ConsumerRecord

from projections.sync_events import Block, SyncEventsWriter, rows_of
from schemas import ClassifiedBatch


class ProjectFeed:
    """The step of the classified topic's BatchConsumer."""

    def __init__(self, writer: SyncEventsWriter) -> None:
        self._writer = writer

    def prepare(self, records: Sequence[ConsumerRecord]) -> Block:
        # Our own topic, written by the classify stage: a record it cannot read is a bug, and
        # raising keeps it in the log (nothing committed) rather than skipping it.
        batches = [ClassifiedBatch.model_validate_json(record.value) for record in records]
        return self._writer.prepare(row for batch in batches for row in rows_of(batch))

    async def store(self, block: Block) -> None:
        await self._writer.store_until_done(block)

    async def close(self) -> None:
        """Nothing held."""
