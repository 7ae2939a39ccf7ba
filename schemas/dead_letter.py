"""What the dead-letter topic keeps of a line the gateway could not accept."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

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


def unreadable_record(faust_event: Any, exc: ValidationError) -> DeadLetter:
    """A Kafka record (as a Faust event) that could not be read, kept whole, with why."""
    message = faust_event.message
    return DeadLetter(
        licence_id=(faust_event.key or b"").decode("utf-8", "replace"),
        received_at=datetime.fromtimestamp(message.timestamp, UTC),
        source=f"kafka:{message.topic}/{message.partition}@{message.offset}",
        line=1,
        raw=bytes(faust_event.value).decode("utf-8", "replace"),
        errors=field_errors(exc),
    )
