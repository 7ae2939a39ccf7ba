"""What the dead-letter topic keeps of a line the gateway could not accept."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from pydantic import BaseModel, ConfigDict, ValidationError


class FieldError(BaseModel):
    model_config = ConfigDict(frozen=True)

    field: str
    reason: str


def field_errors(exc: ValidationError) -> list[FieldError]:
    """One FieldError per problem, naming the field by its dotted path."""
    return [
        FieldError(field=".".join(str(part) for part in err["loc"]) or "(event)", reason=err["msg"])
        for err in exc.errors(include_url=False)
    ]


class DeadLetter(BaseModel):
    model_config = ConfigDict(frozen=True)

    licence_id: str
    received_at: datetime
    source: str
    line: int
    raw: str
    errors: list[FieldError]


class KafkaRecord(Protocol):
    """What aiokafka's ConsumerRecord and Faust's Message both carry."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


def unreadable_record(
    record: KafkaRecord, received_at: datetime, exc: ValidationError
) -> DeadLetter:
    """A Kafka record that could not be read, kept whole, with why."""
    return DeadLetter(
        licence_id=(record.key or b"").decode("utf-8", "replace"),
        received_at=received_at,
        source=f"kafka:{record.topic}/{record.partition}@{record.offset}",
        line=1,
        raw=bytes(record.value or b"").decode("utf-8", "replace"),
        errors=field_errors(exc),
    )
