"""Alerting's contracts: a licence's channels (where alerts go), rules (what fires), settings
(quiet hours, a cap per channel), the alerts fired and each message delivered. Each is a control
entity (schemas/control.py's Entity.ALERT_*), written through the control log: the API writes
channels, rules and settings; the alert desk (alerts/desk.py) alone writes alerts and
deliveries."""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from schemas.control import ContactEmail, Document

ChannelKind = Literal["email", "webhook", "slack"]
RuleKind = Literal["new_group", "error_spike", "silent_connector", "stuck_order", "digest"]
RULE_KINDS: tuple[RuleKind, ...] = (
    "new_group", "error_spike", "silent_connector", "stuck_order", "digest",
)  # fmt: skip
AlertKind = Literal[
    "new_group", "regression", "error_spike", "silent_connector", "stuck_order", "digest"
]
AlertState = Literal["firing", "resolved"]
Notification = Literal["firing", "repeat", "resolved"]
"""Why a message about an alert is sent: it started, it still holds after the repeat interval,
it ended."""
DeliveryState = Literal["pending", "delivered", "failing", "dropped"]
"""`dropped`: its channel was removed before it could be delivered."""
Purpose = Literal["alert", "test", "digest"]

MAX_CHANNELS = 20
MAX_EMAILS = 10
MAX_EVIDENCE = 5
MAX_ITEMS = 50
"""Alerts in one message at most; more go in the next ones."""

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]


class ChannelRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: ChannelKind
    name: Name
    emails: list[ContactEmail] = Field(
        default_factory=list, max_length=MAX_EMAILS, description="for kind email: 1 to 10"
    )
    url: AnyHttpUrl | None = Field(
        default=None, description="for kind webhook or slack: where the JSON is posted"
    )


class ChannelDoc(Document):
    channel_id: str
    kind: ChannelKind
    name: str
    emails: list[str] = Field(default_factory=list)
    url: str | None = None
    secret: str | None = None
    """A webhook's signing secret (schemas' readers never see it after its creation)."""
    created_at: datetime


class RuleParams(BaseModel):
    """What a merchant may set on a rule; each kind reads its own fields, the others are kept."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    channels: list[str] | None = Field(
        default=None, max_length=MAX_CHANNELS, description="channel ids; null: every channel"
    )
    repeat_minutes: int = Field(
        default=240, ge=1, le=7 * 24 * 60,
        description="a condition still holding is notified again after this long",
    )  # fmt: skip
    threshold: int = Field(
        default=20, ge=1, le=1_000_000, description="error_spike: errors within the window"
    )
    multiple: float = Field(
        default=3.0, ge=1.0, le=1000.0,
        description="error_spike: and at least this many times the connector's usual rate "
        "(errors per window over the last 7 days); 1: the threshold alone",
    )  # fmt: skip
    window_minutes: int = Field(default=15, ge=1, le=24 * 60, description="error_spike")
    factor: float = Field(
        default=3.0, ge=1.0, le=100.0,
        description="silent_connector: silent past this many times its median interval",
    )  # fmt: skip
    min_minutes: int = Field(
        default=30, ge=1, le=7 * 24 * 60, description="silent_connector: and never before this"
    )
    fixed_minutes: int | None = Field(
        default=None, ge=1, le=7 * 24 * 60,
        description="silent_connector: a fixed period instead of the learned rhythm",
    )  # fmt: skip
    grace_minutes: int = Field(
        default=10, ge=0, le=24 * 60, description="silent_connector: added to the fixed period"
    )
    hours: int = Field(
        default=4, ge=1, le=72,
        description="stuck_order: an order failing on import and not imported within this long",
    )  # fmt: skip
    hour: int = Field(default=7, ge=0, le=23, description="digest: local hour it is sent at")


class RuleDoc(RuleParams, Document):
    kind: RuleKind


class SettingsDoc(Document):
    model_config = ConfigDict(frozen=True, extra="forbid")

    quiet_start: time | None = Field(
        default=None, description="messages wait from this local time…"
    )
    quiet_end: time | None = Field(default=None, description="…until this one (may wrap midnight)")
    timezone: str = Field(default="Europe/Paris", max_length=64)
    max_per_hour: int = Field(
        default=10, ge=1, le=1000, description="messages per channel and hour at most"
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (e.g. Europe/Paris)") from exc
        return value

    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class Evidence(BaseModel):
    model_config = ConfigDict(frozen=True)

    event_id: str
    occurred_at: datetime
    message: str


class AlertDoc(Document):
    alert_id: str
    """Deterministic: the rule, what it is about and when its condition started, so an alert
    decided twice (a replay, a second desk) is one alert."""
    kind: AlertKind
    state: AlertState
    connector_id: str | None = None
    subject: str = ""
    """What it is about beyond the connector: a fingerprint, an order reference, a day."""
    summary_fr: str
    summary_en: str
    report_url: str
    fired_at: datetime
    resolved_at: datetime | None = None
    notified_at: datetime
    """The last message decided about it (start, repeat or end)."""
    evidence: list[Evidence] = Field(default_factory=list, max_length=MAX_EVIDENCE)


class DeliveredAlert(BaseModel):
    model_config = ConfigDict(frozen=True)

    alert: AlertDoc
    notification: Notification


class AlertDeliveryDoc(Document):
    delivery_id: str
    channel_id: str
    purpose: Purpose
    items: list[DeliveredAlert] = Field(default_factory=list, max_length=MAX_ITEMS)
    """The alerts the message carries, as they were when it was decided (none: a test)."""
    state: DeliveryState
    attempts: int = 0
    created_at: datetime
    next_attempt_at: datetime
    delivered_at: datetime | None = None
    last_error: str | None = None
    detail: str | None = None
