"""What the dead-letter topic keeps of a line the gateway could not accept."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from schemas.line_errors import french


class FieldError(BaseModel):
    """One problem of a refused line."""

    model_config = ConfigDict(frozen=True)

    field: str = Field(description="The field at fault, by its dotted path; `(line)`: the line.")
    reason: str = Field(description="What is wrong, in English.")
    code: str = Field(
        "invalid",
        description="Stable, for programs: `missing`, `string_too_long`, "
        "`occurred_at_out_of_range`, `too_deep`, `not_json`... (pydantic's error types and ours).",
    )
    reason_fr: str = Field("", description="What is wrong, in French.")


def field_errors(exc: ValidationError) -> list[FieldError]:
    """One FieldError per problem, naming the field by its dotted path."""
    return [
        FieldError(
            field=".".join(str(part) for part in err["loc"]) or "(event)",
            reason=err["msg"],
            code=err["type"],
            reason_fr=french(err["type"], err.get("ctx")),
        )
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


CONTROL_SOURCE = "control:"
"""The source prefix of a control command that could not be projected: not an event, so the
dead-letter desk shows it but does not replay it (the reader re-issues the command)."""


def record_letter(
    record: KafkaRecord, received_at: datetime, errors: list[FieldError], scheme: str = "kafka:"
) -> DeadLetter:
    """A Kafka record kept whole, with why it was not processed."""
    return DeadLetter(
        licence_id=(record.key or b"").decode("utf-8", "replace"),
        received_at=received_at,
        source=f"{scheme}{record.topic}/{record.partition}@{record.offset}",
        line=1,
        raw=bytes(record.value or b"").decode("utf-8", "replace"),
        errors=errors,
    )


def unreadable_record(
    record: KafkaRecord, received_at: datetime, exc: ValidationError
) -> DeadLetter:
    """A Kafka record that could not be read, kept whole, with why."""
    return record_letter(record, received_at, field_errors(exc))
