"""What the dead-letter topic keeps of a line the gateway could not accept."""

from __future__ import annotations

from datetime import datetime

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
