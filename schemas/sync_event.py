"""SyncEvent: one line of a connector's sync run, as the connector sends it.

v2 = v1 + `duration_ms`, and nothing else: every v1 line is a valid v2 line with the new field
absent, so versions are told apart by additive compatibility, not by a `schema_version` field
(a version number could only disagree with the fields present, never add information). Lines of
both versions coexist in the raw topic; whatever reads the topic must run v2 first (upgrade
workers before the gateway), and a line a v1-only gateway refused is replayed from the
dead-letter store once v2 is deployed (`ero dlq replay`).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from schemas.line_errors import line_error

# Namespace of the ids the server derives for lines sent without an event_id.
_EVENT_ID_NAMESPACE = uuid.UUID("6f1e0f3c-6c0b-4d7e-9a55-3b8f0e2b7a10")


def derived_id(content: str) -> uuid.UUID:
    """`uuid.uuid5(_EVENT_ID_NAMESPACE, content)`, the same id at a third of the cost (the
    gateway derives one per line sent without an id)."""
    digest = hashlib.sha1(_EVENT_ID_NAMESPACE.bytes + content.encode()).digest()
    return uuid.UUID(bytes=digest[:16], version=5)


Identifier = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
ShortText = Annotated[str, StringConstraints(max_length=256)]

# The instants every ClickHouse keeps in a DateTime64: older servers clamp a value outside
# them to the nearest bound without a word, so a line outside them is refused, never stored at
# a wrong time.
STORABLE_FROM = datetime(1900, 1, 1, tzinfo=UTC)
STORABLE_UNTIL = datetime(2300, 1, 1, tzinfo=UTC)
"""Exclusive."""


def storable_utc(value: datetime, field: str) -> datetime:
    """`value` (aware) in UTC, refused (a pydantic error naming `field`) when ClickHouse could
    not store it: .NET's `DateTime.MinValue` sent with a local offset is before year 1 in UTC."""
    try:
        value = value.astimezone(UTC)
    except OverflowError:
        value = STORABLE_FROM - timedelta(days=1)  # before year 1 or after 9999: out, below
    if not STORABLE_FROM <= value < STORABLE_UNTIL:
        raise line_error(
            f"{field}_out_of_range",
            f"before {STORABLE_FROM:%Y-%m-%d} or from {STORABLE_UNTIL:%Y-%m-%d} on (UTC): no "
            "date there can be stored; check the connector's clock and how it writes an "
            "unknown date",
            f"avant le {STORABLE_FROM:%d/%m/%Y} ou à partir du {STORABLE_UNTIL:%d/%m/%Y} (UTC) : "
            "date impossible à enregistrer ; vérifiez l'horloge du connecteur et la façon dont "
            "il écrit une date inconnue",
        )
    return value


_BELOW_MILLISECOND = tuple(timedelta(microseconds=micros) for micros in range(1000))


def to_milliseconds(value: datetime) -> datetime:
    """`value` down to its millisecond (half the cost of `replace`, once per line at ingest)."""
    return value - _BELOW_MILLISECOND[value.microsecond % 1000]


def stored_instant(value: datetime) -> datetime:
    """An occurred_at as it is stored (ClickHouse keeps DateTime64(3)): in UTC, to the
    millisecond, refused as `storable_utc` refuses. Normalising at the boundary keeps cursors
    and stored values equal."""
    return to_milliseconds(storable_utc(value, "occurred_at"))


def derived_event_id(licence_id: str, fields: Mapping[str, Any]) -> uuid.UUID:
    """The id of a line sent without one, from its licence and content (a SyncEvent's fields,
    occurred_at stored as `stored_instant` stores it).

    Only v1 fields enter it: a v1 line keeps the id it had before v2 existed."""
    content = "\x1f".join(
        (
            licence_id,
            fields["connector_id"],
            fields["occurred_at"].isoformat(),
            fields["operation"],
            fields["reference"],
            fields["status"] or "",
            fields["code"] or "",
            fields["message"],
            fields["sync_id"] or "",
            fields["config_id"] or "",
        )
    )
    return derived_id(content)


class SyncEventV1(BaseModel):
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
        return stored_instant(value)

    def with_identity(self, licence_id: str) -> Self:
        """This event with its `event_id` set: the given one, or `derived_event_id`."""
        if self.event_id is not None:
            return self
        return self.model_copy(update={"event_id": derived_event_id(licence_id, self.__dict__)})


class SyncEvent(SyncEventV1):
    """The current contract (v2): v1 plus how long the operation took.

    A connector times each operation anyway; without the figure, "why did last night's stock
    export take 40 minutes" (a slow ERP query, a throttled shop API) cannot be answered from the
    reports. Optional: absent on v1 lines, stored as NULL, never as a made-up 0."""

    model_config = ConfigDict(title="SyncEvent v2")

    duration_ms: int | None = Field(
        None,
        ge=0,
        le=86_400_000,
        description="How long the operation took, in milliseconds, as the connector measured "
        "it (v2; absent on v1 lines).",
    )


class RawBatch(BaseModel):
    """A record of the raw topic: validated events of one licence, accepted together."""

    model_config = ConfigDict(frozen=True)

    licence_id: str
    received_at: AwareDatetime
    events: list[SyncEvent]

    @field_validator("received_at")
    @classmethod
    def _storable(cls, value: datetime) -> datetime:
        return storable_utc(value, "received_at")
