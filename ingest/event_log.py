"""Appending accepted events (and dead letters) to Kafka, acknowledged by the brokers.

`append` returns only once every record is acked with acks=all: the HTTP gateway answers 202
after that, never before. Raw records carry the gateway's seal (schemas/records.py): their
events are validated, so the hot stage need not validate them again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from infra.log_producer import LogProducer, LogUnavailable, Record
from schemas import DeadLetter
from schemas.event_fields import EventFields, encode_fields
from schemas.records import RecordSeal

__all__ = ["EventLog", "KafkaEventLog", "LogUnavailable"]


class EventLog(Protocol):
    async def append(
        self,
        licence_id: str,
        received_at: datetime,
        events: Sequence[EventFields],
        dead_letters: Sequence[DeadLetter],
    ) -> None: ...


class KafkaEventLog:
    def __init__(
        self,
        producer: LogProducer,
        raw_topic: str,
        dead_letter_topic: str,
        max_record_bytes: int,
        seal: RecordSeal,
    ) -> None:
        self._producer = producer
        self._seal = seal
        self._raw_topic = raw_topic
        self._dead_letter_topic = dead_letter_topic
        self._max_record_bytes = max_record_bytes

    async def append(
        self,
        licence_id: str,
        received_at: datetime,
        events: Sequence[EventFields],
        dead_letters: Sequence[DeadLetter],
    ) -> None:
        key = licence_id.encode()
        records: list[Record] = [
            (self._raw_topic, key, record, (self._seal.header(record),))
            for record in encode_fields(licence_id, received_at, events, self._max_record_bytes)
        ]
        records += [
            (self._dead_letter_topic, key, letter.__pydantic_serializer__.to_json(letter), ())
            for letter in dead_letters
        ]
        await self._producer.send_all(records)
