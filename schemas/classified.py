"""What the processors add to a SyncEvent: level, origin and the next step for the merchant."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

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
        members = {
            "level": self.level,
            "origin": self.origin,
            "remediation": self.remediation.model_dump(),
            "rule_id": self.rule_id,
            "rule_version": self.rule_version,
            "template": self.template,
            "fingerprint": self.fingerprint,
        }
        object.__setattr__(self, "json_fields", orjson.dumps(members)[1:-1])

    @classmethod
    def of(cls, event: ClassifiedEvent) -> Classification:
        return cls(
            level=event.level,
            origin=event.origin,
            rule_id=event.rule_id,
            rule_version=event.rule_version,
            remediation=event.remediation,
            template=event.template,
            fingerprint=event.fingerprint,
        )


def classified_json(event: SyncEvent, classification: Classification) -> bytes:
    """The ClassifiedEvent JSON of an event and its classification, without building the model."""
    return (
        event.__pydantic_serializer__.to_json(event)[:-1] + b"," + classification.json_fields + b"}"
    )


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
