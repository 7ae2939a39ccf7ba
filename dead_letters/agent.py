"""The dead-letter agent: the dead-letter topic -> the dead_letters table, then offsets acked.

Nothing rejected is dropped: a record that is not even a readable dead letter is stored as one,
with the reason it could not be read.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

import structlog
from pydantic import ValidationError

from dead_letters.store import DeadLetterStore, StoredLetter, first_reason, stored
from infra.metrics import metrics
from infra.retry import retry_transient
from schemas import DeadLetter
from schemas.dead_letter import unreadable_record
from streaming.acked_batches import acked_batches

log = structlog.get_logger(__name__)


def read_letter(faust_event: Any) -> DeadLetter:
    try:
        return DeadLetter.model_validate_json(faust_event.value)
    except ValidationError as exc:
        message = faust_event.message
        return unreadable_record(message, datetime.fromtimestamp(message.timestamp, UTC), exc)


def register_dead_letter_projection(
    app: Any,
    dead_letter_topic: Any,
    store: DeadLetterStore,
    on_done: Callable[[Any], None] = lambda _: None,
) -> Any:
    @app.agent(dead_letter_topic, name="store-dead-letters")
    async def project(stream: Any) -> None:
        async for faust_events in acked_batches(stream, 500, 0.5, on_done):
            letters = [stored(read_letter(faust_event)) for faust_event in faust_events]
            await retry_transient(partial(_write, store, letters), "dead_letter_insert")
            metrics().increment("dead_letters_stored", len(letters))
            for letter in letters:
                log.info(
                    "dead_letter_stored",
                    letter_id=str(letter.letter_id),
                    licence_id=letter.licence_id,
                    connector_id=letter.connector_id,
                    source=letter.source,
                    reason=first_reason(letter.reasons),
                )

    return project


async def _write(store: DeadLetterStore, letters: list[StoredLetter]) -> None:
    await asyncio.to_thread(store.write, letters)
