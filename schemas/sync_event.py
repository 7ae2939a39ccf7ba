"""SyncEvent v1: one line of a connector's sync run, as the connector sends it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, field_validator

# Namespace of the ids the server derives for lines sent without an event_id.
_EVENT_ID_NAMESPACE = uuid.UUID("6f1e0f3c-6c0b-4d7e-9a55-3b8f0e2b7a10")

Identifier = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
ShortText = Annotated[str, StringConstraints(max_length=256)]


class SyncEvent(BaseModel):
    """One line of a sync run. `event_id` is the idempotency key: re-sending it never duplicates."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="SyncEvent v1")

    event_id: uuid.UUID | None = Field(
        None,
        description="Idempotency key. When absent the server derives one from the line's content, "
        "so a retried line keeps its id; lines identical in every field are one event.",
    )
    connector_id: Identifier
    occurred_at: AwareDatetime = Field(
        description="RFC 3339 with offset; stored in UTC, ms precision."
    )
    operation: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)
    ] = Field(examples=["order.import", "stock.export"])
    reference: ShortText = Field("", description="Order number, SKU, customer code; may be empty.")
    status: Annotated[str, StringConstraints(max_length=32)] | None = Field(
        None, description="As the connector wrote it (ok, ERREUR, warning, alerte...)."
    )
    code: Annotated[str, StringConstraints(max_length=64)] | None = None
    message: Annotated[str, StringConstraints(min_length=1, max_length=16_384)]
    sync_id: Annotated[str, StringConstraints(max_length=128)] | None = Field(
        None, description="Groups the lines of one sync run."
    )
    config_id: Annotated[str, StringConstraints(max_length=128)] | None = None
    attributes: dict[ShortText, Annotated[str, StringConstraints(max_length=4_096)]] = Field(
        default_factory=dict, max_length=64
    )

    @field_validator("occurred_at")
    @classmethod
    def _utc_milliseconds(cls, value: datetime) -> datetime:
        # ClickHouse keeps DateTime64(3): normalising here keeps cursors and stored values equal.
        value = value.astimezone(UTC)
        if value.microsecond % 1000:
            value = value.replace(microsecond=value.microsecond // 1000 * 1000)
        return value

    def with_identity(self, licence_id: str) -> SyncEvent:
        """This event with its `event_id` set: the given one, or one derived from its content."""
        if self.event_id is not None:
            return self
        content = "\x1f".join(
            (
                licence_id,
                self.connector_id,
                self.occurred_at.isoformat(),
                self.operation,
                self.reference,
                self.status or "",
                self.code or "",
                self.message,
                self.sync_id or "",
                self.config_id or "",
            )
        )
        return self.model_copy(update={"event_id": uuid.uuid5(_EVENT_ID_NAMESPACE, content)})


class RawBatch(BaseModel):
    """A record of the raw topic: validated events of one licence, accepted together."""

    model_config = ConfigDict(frozen=True)

    licence_id: str
    received_at: datetime
    events: list[SyncEvent]
