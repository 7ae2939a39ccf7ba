"""What the processors add to a SyncEvent: level, origin and the next step for the merchant."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

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


class ClassifiedBatch(BaseModel):
    """A record of the classified topic: one raw batch, every event classified."""

    model_config = ConfigDict(frozen=True)

    licence_id: str
    received_at: datetime
    events: list[ClassifiedEvent]
