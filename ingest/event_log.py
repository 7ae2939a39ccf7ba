"""Appending accepted events (and dead letters) to Kafka, acknowledged by the brokers.

`append` returns only once every record is acked with acks=all: the HTTP gateway answers 202
after that, never before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from schemas import DeadLetter, SyncEvent
from schemas.records import encode_batches


class LogUnavailable(RuntimeError):
    """The log did not confirm the append in time; nothing of the batch may be reported accepted."""


class EventLog(Protocol):
    async def append(
        self,
        licence_id: str,
        received_at: datetime,
        events: Sequence[SyncEvent],
        dead_letters: Sequence[DeadLetter],
    ) -> None: ...


class KafkaEventLog:
    def __init__(
        self,
        bootstrap: str,
        raw_topic: str,
        dead_letter_topic: str,
        max_record_bytes: int,
        timeout_seconds: float,
    ) -> None:
        self._raw_topic = raw_topic
        self._dead_letter_topic = dead_letter_topic
        self._max_record_bytes = max_record_bytes
        self._timeout = timeout_seconds
        self._bootstrap = bootstrap
        self._producer: AIOKafkaProducer | None = None
        self._starting = asyncio.Lock()

    async def _connected(self) -> AIOKafkaProducer:
        """The producer, connecting on first use: the API starts even while the broker is down."""
        async with self._starting:
            if self._producer is None:
                producer = AIOKafkaProducer(
                    bootstrap_servers=self._bootstrap,
                    acks="all",
                    linger_ms=2,
                    max_request_size=max(1_048_576, 2 * self._max_record_bytes),
                    request_timeout_ms=int(self._timeout * 1000),
                )
                try:
                    await producer.start()
                except BaseException:
                    await producer.stop()
                    raise
                self._producer = producer
            return self._producer

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def ready(self) -> bool:
        try:
            async with asyncio.timeout(2.0):
                producer = await self._connected()
                await producer.client.fetch_all_metadata()
        except (KafkaError, TimeoutError, OSError):
            return False
        return True

    async def append(
        self,
        licence_id: str,
        received_at: datetime,
        events: Sequence[SyncEvent],
        dead_letters: Sequence[DeadLetter],
    ) -> None:
        records = [
            (self._raw_topic, record)
            for record in encode_batches(licence_id, received_at, events, self._max_record_bytes)
        ]
        records += [
            (self._dead_letter_topic, letter.__pydantic_serializer__.to_json(letter))
            for letter in dead_letters
        ]
        await self.publish(licence_id.encode(), records)

    async def publish(self, key: bytes, records: Sequence[tuple[str, bytes]]) -> None:
        """Append (topic, value) records under one key; return once every one is acked."""
        try:
            async with asyncio.timeout(self._timeout):
                producer = await self._connected()
                pending = [await producer.send(topic, value, key=key) for topic, value in records]
                await asyncio.gather(*pending)
        except (KafkaError, TimeoutError, OSError) as exc:
            raise LogUnavailable(str(exc) or type(exc).__name__) from exc
