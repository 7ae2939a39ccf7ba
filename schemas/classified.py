"""What the processors add to a SyncEvent: level, origin and the next step for the merchant."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field

from schemas.sync_event import SyncEvent


class Level(StrEnum):
    SUCCESS = "success"
    ALERT = "alert"
    ERROR = "error"


class Origin(StrEnum):
    CMS = "cms"
    ERP = "erp"
    CONNECTOR = "connector"


class Remediation(BaseModel):
    model_config = ConfigDict(frozen=True)

    hint: str | None = Field(None, description="What to do, in French.")
    hint_en: str | None = Field(None, description="The same, in English.")
    url: str | None = None
    action: str | None = None


@dataclass(frozen=True, slots=True)
class Classification:
    """What classification adds to an event; shared by every line of one message shape."""

    level: Level
    origin: Origin
    rule_id: str
    rule_version: int
    remediation: Remediation
    template: str
    fingerprint: int
    json_fields: bytes = field(init=False, repr=False, compare=False)
    """These fields as the members of a JSON object (no braces), encoded once per shape."""

    def __post_init__(self) -> None:
        members = self.fields() | {"remediation": self.remediation.model_dump()}
        object.__setattr__(self, "json_fields", orjson.dumps(members)[1:-1])

    def fields(self) -> dict[str, Any]:
        """The fields a ClassifiedEvent adds to its SyncEvent, by name."""
        return {name: getattr(self, name) for name in ADDED_FIELDS}

    @classmethod
    def of(cls, event: ClassifiedEvent) -> Classification:
        return cls(**{name: getattr(event, name) for name in ADDED_FIELDS})


ADDED_FIELDS = (
    "level",
    "origin",
    "rule_id",
    "rule_version",
    "remediation",
    "template",
    "fingerprint",
)


def classified_json(event_json: bytes, classification: Classification, *members: bytes) -> bytes:
    """A ClassifiedEvent's JSON, spliced from its SyncEvent's JSON, the classification's members
    (encoded once per shape) and further members (e.g. received_at, once per record): no model
    is built."""
    return b",".join((event_json[:-1], classification.json_fields, *members)) + b"}"


class ClassifiedEvent(SyncEvent):
    level: Level
    origin: Origin
    remediation: Remediation
    rule_id: str
    rule_version: int
    template: str = Field(description="The message with its variable parts masked.")
    fingerprint: int = Field(
        ge=0, lt=2**64, description="Error group: operation, origin, template."
    )
    received_at: datetime | None = Field(
        None, description="When the gateway accepted this event, if not when its record says."
    )


class ClassifiedBatch(BaseModel):
    """A record of the classified topic: one raw batch, every event classified."""

    model_config = ConfigDict(frozen=True)

    licence_id: str
    received_at: datetime
    events: list[ClassifiedEvent]
