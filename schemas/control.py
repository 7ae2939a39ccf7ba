"""The control plane's contracts: the events of the control topic and the documents they carry.

A control event records one change of one entity (a configuration, a remote action, the PC-key
binding...) with the entity's document before and after it. The projection writes `after` as the
entity's row at `revision`, and the whole event into the audit table; a replay writes the same
rows again, which the ReplacingMergeTree keys absorb.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)
from pydantic_core import PydanticCustomError

from schemas.actions import ActionName
from schemas.configuration import ConnectorConfiguration
from schemas.line_errors import line_error
from schemas.sync_event import Identifier

EVERY_LICENCE = "*"  # licence_id of vendor-wide entities (a notification to all licences)

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


def _one_line(text: str) -> str:
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in text):
        raise line_error(
            "one_line",
            "one line only: no line break (CR, LF) or other control character",
            "une seule ligne : pas de saut de ligne ni d’autre caractère de contrôle",
        )
    return text


# What becomes an e-mail header (a ticket's subject) or a title: one line.
OneLine = Annotated[Text, AfterValidator(_one_line)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]
Email = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        max_length=254,
        pattern=r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+$",  # no control character
    ),
]
Url = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=2048, pattern=r"^https?://")
]


def _phone(text: str) -> str:
    digits = sum(char.isdigit() for char in text)
    if not re.fullmatch(r"\+?[0-9 .()/-]+", text) or not 6 <= digits <= 20:
        raise PydanticCustomError(
            "phone",
            "Invalid telephone number: digits (6 to 20), spaces, dots, dashes, a leading +.",
            {
                "fr": "Numéro de téléphone invalide : des chiffres (6 à 20), espaces, points, "
                "tirets, un + au début.",
                "en": "Invalid telephone number: digits (6 to 20), spaces, dots, dashes, a "
                "leading +.",
            },
        )
    return text


def _bilingual(pattern: str, code: str, english: str, french: str):  # type: ignore[no-untyped-def]
    """A validator of `pattern` whose error carries both texts (the page shows them inline)."""

    def check(text: str) -> str:
        if not re.fullmatch(pattern, text):
            raise PydanticCustomError(code, english, {"fr": french, "en": english})
        return text

    return AfterValidator(check)


# The account's contact details, as the account page sends them: errors in French and English.
ContactEmail = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=254),
    _bilingual(
        r"[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+",
        "email",
        "Invalid e-mail address: name@domain.example.",
        "Adresse e-mail invalide : nom@domaine.fr.",
    ),
]
ShopUrl = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=2048),
    _bilingual(
        r"https?://[^\s\x00-\x1f\x7f/]+\.[^\s\x00-\x1f\x7f]+",
        "url",
        "Invalid shop address: it starts with https:// (https://shop.example).",
        "Adresse de boutique invalide : elle commence par https:// (https://boutique.fr).",
    ),
]
Phone = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=40), AfterValidator(_phone)
]


class Entity(StrEnum):
    CONFIGURATION = "configuration"
    ACTIVE_CONFIGURATION = "active_configuration"
    ACTION = "action"
    PC_KEY = "pc_key"
    AGENT = "agent"
    ACCOUNT = "account"
    NOTIFICATION = "notification"
    NOTIFICATION_READ = "notification_read"
    TICKET = "ticket"
    # One per reply (entity_id "<ticket_id>:<reply_id>") and per delivery channel
    # ("<ticket_id>:<channel>"): written apart from the ticket, so that the deliverer and the
    # people replying never decide on the same revision.
    TICKET_REPLY = "ticket_reply"
    TICKET_DELIVERY = "ticket_delivery"
    LICENCE = "licence"
    # People (schemas/accounts.py): under the ACCOUNTS licence id, but MEMBER under its licence.
    USER = "user"
    CREDENTIAL = "credential"
    LOGIN = "login"
    LINK = "link"
    SESSION = "session"
    SESSION_SEEN = "session_seen"
    MEMBER = "member"
    # The knowledge base (schemas/help.py): under the KNOWLEDGE_BASE licence id.
    HELP_FEEDBACK = "help_feedback"
    HELP_VIEWS = "help_views"
    ERROR_GROUP = "error_group"
    """A licence's workflow on one error group (entity_id: its fingerprint), schemas/group_state."""
    DEAD_LETTER = "dead_letter"
    """An operator's replay of a rejected line, under the line's licence (its audit names who)."""
    # Alerting (schemas/alerts.py): channels, rules (entity_id: the kind) and settings written
    # by the API; alerts and their deliveries by the alert desk alone.
    ALERT_CHANNEL = "alert_channel"
    ALERT_RULE = "alert_rule"
    ALERT_SETTINGS = "alert_settings"
    ALERT = "alert"
    ALERT_DELIVERY = "alert_delivery"


ControlKind = Literal[
    "configuration.created",
    "configuration.updated",
    "configuration.deleted",
    "configuration.activated",
    "configuration.restored",
    "action.enqueued",
    "action.cancelled",
    "action.dispatched",
    "action.expired",
    "action.result",
    "pc_key.bound",
    "pc_key.reset",
    "agent.reported",
    "account.updated",
    "licence.created",
    "licence.status_set",
    "notification.published",
    "notification.read",
    "ticket.created",
    "ticket.delivered",
    "ticket.replied",
    "ticket.assigned",
    "ticket.status_set",
    "ticket.delivery_attempted",
    "user.created",
    "user.updated",
    "credential.updated",
    "login.bound",
    "link.issued",
    "link.used",
    "session.opened",
    "session.seen",
    "session.revoked",
    "member.added",
    "member.updated",
    "member.removed",
    "help.feedback",
    "help.viewed",
    "dead_letter.replayed",
    "group.resolved",
    "group.ignored",
    "group.reopened",
    "group.commented",
    "alert.channel_added",
    "alert.channel_removed",
    "alert.rule_set",
    "alert.settings_set",
    "alert.fired",
    "alert.notified",
    "alert.resolved",
    "alert.delivery_recorded",
    "alert.delivery_attempted",
]


class ControlEvent(BaseModel):
    model_config = ConfigDict(frozen=True)

    command_id: uuid.UUID
    licence_id: str
    # Written as a ControlKind; read as any string, so a worker older than its API still
    # projects a kind it does not know (the projection does not depend on the kind).
    kind: str
    actor: str = Field(
        description='A person ("Name <e-mail>"), reader[:token name], connector, operator '
        "or system."
    )
    issued_at: datetime
    entity: Entity
    entity_id: str
    revision: int = Field(
        ge=1, le=2**32 - 1, description="The entity's revision after this change (UInt32)."
    )
    status: str = ""
    dedup_key: str = ""
    deleted: bool = False
    before: dict[str, Any] | None = None
    after: dict[str, Any]


# Documents of the entities -------------------------------------------------------------------


class Document(BaseModel):
    model_config = ConfigDict(frozen=True)


class ConfigurationDoc(Document):
    configuration_id: str
    name: str
    connector_id: str | None = None
    """The connector it is for; None: any connector without one of its own."""
    document: ConnectorConfiguration


class ActiveConfigurationDoc(Document):
    configuration_id: str | None


ActionStatus = Literal["pending", "dispatched", "succeeded", "failed", "cancelled", "expired"]


class RemoteActionDoc(Document):
    action_id: str
    action: ActionName
    order_reference: str | None = None
    source_event_id: uuid.UUID | None = None
    status: ActionStatus
    created_at: datetime
    created_by: str
    expires_at: datetime
    dispatched_at: datetime | None = None
    finished_at: datetime | None = None
    output: str | None = None


class PcKeyDoc(Document):
    pc_key_hash: str | None
    bound_at: datetime | None


class AgentDoc(Document):
    connector_version: str | None = None
    erp_version: str | None = None
    shop_version: str | None = None
    shop_url: str | None = None


class AccountDoc(Document):
    email: str | None = None
    shop_url: str | None = None
    phone: str | None = None


class NotificationDoc(Document):
    notification_id: str
    title: str
    body: str
    title_en: str | None = None
    """The English title, for readers whose pages are in English (None: the French one)."""
    body_en: str | None = None
    published_at: datetime


class NotificationReadDoc(Document):
    notification_id: str
    read_at: datetime


class ErrorGroup(Document):
    fingerprint: str
    operation: str
    origin: str
    count: int
    last_at: datetime
    message: str
    action: str | None


TicketStatus = Literal["open", "in_progress", "resolved"]


def _ticket_status(value: Any) -> Any:
    # Tickets recorded before the support inbox had their delivery as status: they are open.
    return "open" if value in ("delivered", "delivery_failed") else value


class TicketDoc(Document):
    ticket_id: str
    number: str | None = Field(
        None,
        description="ERO-YYYY-NNNNNN, given by the control projection (control_plane/"
        "ticket_numbers.py); None only on tickets recorded before numbering.",
    )
    subject: str
    message: str
    email: str
    shop_url: str | None
    phone: str | None = None
    agent: AgentDoc
    agent_reported_at: datetime | None = None
    active_configuration: ConfigurationDoc | None
    """What a connector without its own configuration loads."""
    active_configurations: list[ConfigurationDoc] = Field(
        default_factory=list,
        description="Each connector's active configuration when the ticket was opened "
        "(`connector_id` null: the one for every connector without its own).",
    )
    error_groups: list[ErrorGroup]
    status: Annotated[TicketStatus, BeforeValidator(_ticket_status)]
    created_at: datetime
    created_by: str
    updated_at: datetime | None = None
    assignee: str | None = Field(None, description="The operator handling it (their e-mail).")


class TicketReplyDoc(Document):
    reply_id: str
    ticket_id: str
    side: Literal["merchant", "vendor"]
    author: str = Field(description="Who wrote it, as shown: a name or an e-mail.")
    message: str
    created_at: datetime


DeliveryChannel = Literal["webhook", "email", "merchant"]
"""To the vendor: its webhook, its support mailbox; to the merchant: the ticket's e-mail."""
DeliveryState = Literal["pending", "delivered", "failing"]
MerchantNotice = Literal["answered", "resolved"]


class TicketDeliveryDoc(Document):
    ticket_id: str
    channel: DeliveryChannel
    notice: MerchantNotice | None = Field(
        None, description="What the merchant is told (channel `merchant` only)."
    )
    message: str | None = Field(None, description="The support's answer, when `answered`.")
    state: DeliveryState
    attempts: int = 0
    last_error: str | None = None
    detail: str | None = Field(None, description="What the receiver answered, once delivered.")
    next_attempt_at: datetime
    delivered_at: datetime | None = None


class DeadLetterReplayDoc(Document):
    """An operator's replay of a dead letter: what came of it."""

    letter_id: str
    replayed: bool
    events: int = Field(description="Events appended to the log by this replay.")
    reason: str = Field(description="Why it is still refused; empty when replayed.")


class LicenceDoc(Document):
    licence_id: str
    name: str
    status: Literal["active", "expired", "revoked"]
    created_at: datetime
    updated_at: datetime


# Requests ------------------------------------------------------------------------------------


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ActionRequest(Request):
    action: ActionName
    order_reference: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=128)] | None
    ) = None
    source_event_id: uuid.UUID | None = Field(
        None, description="The report line (event_id) that suggested this action."
    )
    expires_in_seconds: int | None = Field(
        None, ge=1, le=90 * 86_400, description="Default: ERO_ACTION_TTL_SECONDS."
    )


class SyncRequest(Request):
    pc_key: Annotated[str, StringConstraints(strip_whitespace=True, min_length=8, max_length=512)]
    connector_id: Identifier | None = Field(
        None,
        description="The connector syncing (the connector_id of its reports): it receives its "
        "own active configuration, else the one for every connector.",
    )
    connector_version: Annotated[str, StringConstraints(max_length=64)] | None = None
    erp_version: Annotated[str, StringConstraints(max_length=64)] | None = None
    shop_version: Annotated[str, StringConstraints(max_length=64)] | None = None
    shop_url: Url | None = None


class ActionResultRequest(Request):
    success: bool
    output: Annotated[str, StringConstraints(max_length=1_000_000)] = ""


class AccountRequest(Request):
    email: ContactEmail | None = None
    shop_url: ShopUrl | None = None
    phone: Phone | None = None


class TicketRequest(Request):
    subject: OneLine
    message: LongText
    email: Email | None = Field(None, description="Default: the account e-mail.")
    shop_url: Url | None = Field(None, description="Default: the account's or connector's.")


class TicketReplyRequest(Request):
    message: LongText


class TicketStatusRequest(Request):
    status: TicketStatus


class TicketAssignRequest(Request):
    assignee: Email | None = Field(description="An operator's e-mail; null: nobody.")


class NotificationRequest(Request):
    title: OneLine = Field(description="In French.")
    body: LongText = Field(description="In French.")
    title_en: OneLine | None = Field(None, description="In English; default: the French one.")
    body_en: LongText | None = Field(None, description="In English; default: the French one.")
    licence_ids: list[Text] | None = Field(
        None, min_length=1, description="Omit to publish to every licence."
    )


class LicenceStatusRequest(Request):
    status: Literal["active", "expired", "revoked"]
