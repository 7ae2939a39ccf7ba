"""A licence's alerting over HTTP: its channels (add, list, remove, send a test, their
deliveries), its rules and settings, and the alerts fired. Readers read; members write.
Channels, rules and settings are control commands; alerts and deliveries are the desk's."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Response, status
from pydantic import BaseModel, Field

from alerts.senders import Senders
from alerts.store import MAX_PAGE, AlertStore, LicenceAlerting
from control_plane.delivery import DeliveryFailed
from control_plane.http.common import COMMAND, Bus, CommandLimit, StorableBody, command
from infra.http_errors import Conflict, NotFound, errors, invalid
from infra.http_state import from_state
from licences.http import MemberPrincipal, ReaderPrincipal
from schemas.alerts import (
    MAX_CHANNELS,
    RULE_KINDS,
    AlertDeliveryDoc,
    AlertDoc,
    AlertState,
    ChannelDoc,
    ChannelKind,
    ChannelRequest,
    DeliveryState,
    Evidence,
    Purpose,
    RuleDoc,
    RuleKind,
    RuleParams,
    SettingsDoc,
)
from schemas.control import Entity

router = APIRouter(tags=["alerts"], dependencies=[StorableBody])
SendersDep = Annotated[Senders, Depends(from_state("alert_senders", Senders))]
ChannelId = Annotated[str, Path(max_length=64)]


class ChannelOut(BaseModel):
    id: str
    kind: ChannelKind
    name: str
    emails: list[str]
    url: str | None
    created_at: datetime
    secret: str | None = Field(
        description="a webhook's signing secret: in the answer that creates it only"
    )


class ChannelList(BaseModel):
    channels: list[ChannelOut] = Field(max_length=MAX_CHANNELS)


class DeliveryOut(BaseModel):
    delivery_id: str
    channel_id: str
    purpose: Purpose
    state: DeliveryState
    attempts: int
    created_at: datetime
    delivered_at: datetime | None
    next_attempt_at: datetime
    last_error: str | None
    detail: str | None
    alert_ids: list[str]


class DeliveryList(BaseModel):
    deliveries: list[DeliveryOut] = Field(max_length=MAX_PAGE, description="newest first")


class TestOutcome(BaseModel):
    delivery_id: str
    state: Literal["delivered", "failing"]
    detail: str | None
    error: str | None = Field(description="what the receiver answered, when it failed")


class RuleOut(RuleDoc):
    pass


class RuleList(BaseModel):
    rules: list[RuleOut]


class AlertDeliveryState(BaseModel):
    channel_id: str
    state: DeliveryState
    delivered_at: datetime | None


class AlertOut(BaseModel):
    alert_id: str
    kind: str
    state: AlertState
    connector_id: str | None
    subject: str
    summary_fr: str
    summary_en: str
    report_url: str = Field(description="the /v1/reports query listing its events")
    fired_at: datetime
    resolved_at: datetime | None
    evidence: list[Evidence]
    deliveries: list[AlertDeliveryState]


class AlertPage(BaseModel):
    alerts: list[AlertOut] = Field(max_length=MAX_PAGE)
    next_cursor: str | None


def _out(channel: ChannelDoc, secret: str | None = None) -> ChannelOut:
    return ChannelOut(
        id=channel.channel_id,
        kind=channel.kind,
        name=channel.name,
        emails=channel.emails,
        url=channel.url,
        created_at=channel.created_at,
        secret=secret,
    )


def _delivery_out(doc: AlertDeliveryDoc) -> DeliveryOut:
    return DeliveryOut(
        **doc.model_dump(exclude={"items"}), alert_ids=[i.alert.alert_id for i in doc.items]
    )


async def _alerting(bus: Bus, licence_id: str) -> LicenceAlerting:
    return await AlertStore(bus.store).licence(licence_id)


def _no_channel(channel_id: str) -> NotFound:
    return NotFound(
        "alert_channel_not_found",
        f"Aucun canal d’alerte {channel_id!r} dans cette licence.",
        f"no alert channel {channel_id!r} in this licence",
    )


def _channel(alerting: LicenceAlerting, channel_id: str) -> ChannelDoc:
    for channel in alerting.channels:
        if channel.channel_id == channel_id:
            return channel
    raise _no_channel(channel_id)


def _check(body: ChannelRequest) -> None:
    if body.kind == "email" and not body.emails:
        raise invalid(
            "body",
            "emails",
            "an e-mail channel needs at least one address",
            fr="Un canal e-mail demande au moins une adresse.",
        )
    if body.kind != "email" and body.url is None:
        raise invalid(
            "body",
            "url",
            "a webhook or Slack channel needs its URL",
            fr="Un canal webhook ou Slack demande son URL.",
        )


@router.post(
    "/v1/alerts/channels",
    status_code=status.HTTP_201_CREATED,
    response_model=ChannelOut,
    summary="Add an alert channel: e-mail addresses, a signed webhook, or a Slack webhook",
    description="A webhook's answer carries its signing `secret`, once: keep it to verify the "
    "`ERO-Signature` header (docs/api.md, alert webhooks).",
    responses={**COMMAND, **errors(Conflict)},
    dependencies=[CommandLimit],
)
async def add_channel(
    body: ChannelRequest, principal: MemberPrincipal, bus: Bus, response: Response
) -> ChannelOut:
    _check(body)
    secret = f"whsec_{secrets.token_urlsafe(32)}" if body.kind == "webhook" else None
    channel = ChannelDoc(
        channel_id=uuid.uuid4().hex[:12],
        kind=body.kind,
        name=body.name,
        emails=list(body.emails) if body.kind == "email" else [],
        url=str(body.url) if body.kind != "email" and body.url else None,
        secret=secret,
        created_at=datetime.now(UTC),
    )
    async with command(bus, principal.licence_id, principal.actor, response) as cmd:
        if len((await _alerting(bus, principal.licence_id)).channels) >= MAX_CHANNELS:
            raise Conflict(
                "alert_channels_full",
                f"Cette licence a déjà {MAX_CHANNELS} canaux d’alerte : supprimez-en un.",
                f"this licence has {MAX_CHANNELS} alert channels already: remove one",
            )
        await cmd.apply(
            "alert.channel_added", Entity.ALERT_CHANNEL, channel, entity_id=channel.channel_id
        )
    return _out(channel, secret)


@router.get("/v1/alerts/channels", response_model=ChannelList, summary="A licence's alert channels")
async def list_channels(principal: ReaderPrincipal, bus: Bus) -> ChannelList:
    alerting = await _alerting(bus, principal.licence_id)
    return ChannelList(channels=[_out(c) for c in alerting.channels])


@router.delete(
    "/v1/alerts/channels/{channel_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove an alert channel (its messages not yet delivered are dropped)",
    responses={**COMMAND, **errors(NotFound)},
    dependencies=[CommandLimit],
)
async def remove_channel(
    channel_id: ChannelId, principal: MemberPrincipal, bus: Bus, response: Response
) -> None:
    async with command(bus, principal.licence_id, principal.actor, response) as cmd:
        before = await cmd.current(Entity.ALERT_CHANNEL, channel_id)
        if before is None or before.deleted:
            raise _no_channel(channel_id)
        await cmd.apply(
            "alert.channel_removed",
            Entity.ALERT_CHANNEL,
            before.doc(ChannelDoc),
            entity_id=channel_id,
            before=before,
            deleted=True,
        )
    if response.status_code != status.HTTP_202_ACCEPTED:
        response.status_code = status.HTTP_204_NO_CONTENT


@router.post(
    "/v1/alerts/channels/{channel_id}/test",
    response_model=TestOutcome,
    summary="Send a test message to a channel now, and say what the receiver answered",
    responses={**COMMAND, **errors(NotFound)},
    dependencies=[CommandLimit],
)
async def test_channel(
    channel_id: ChannelId,
    principal: MemberPrincipal,
    bus: Bus,
    senders: SendersDep,
    response: Response,
) -> TestOutcome:
    now = datetime.now(UTC)
    channel = _channel(await _alerting(bus, principal.licence_id), channel_id)
    delivery = AlertDeliveryDoc(
        delivery_id=f"test-{uuid.uuid4().hex[:20]}",
        channel_id=channel_id,
        purpose="test",
        state="pending",
        created_at=now,
        next_attempt_at=now,
    )
    detail, error = None, None
    try:
        detail = await senders.send(principal.licence_id, channel, delivery, [])
    except DeliveryFailed as exc:
        error = str(exc)[:500]
    sent = datetime.now(UTC)
    after = delivery.model_copy(
        update={
            "state": "failing" if error else "delivered",
            "attempts": 1,
            "detail": detail,
            "last_error": error,
            "delivered_at": None if error else sent,
            "next_attempt_at": sent,
        }
    )
    async with command(bus, principal.licence_id, principal.actor, response) as cmd:
        await cmd.apply(
            "alert.delivery_attempted",
            Entity.ALERT_DELIVERY,
            after,
            entity_id=after.delivery_id,
            status=after.state,
        )
    return TestOutcome(
        delivery_id=after.delivery_id,
        state="failing" if error else "delivered",
        detail=detail,
        error=error,
    )


@router.get(
    "/v1/alerts/channels/{channel_id}/deliveries",
    response_model=DeliveryList,
    summary="A channel's latest messages: pending, delivered, failing (with the error)",
    responses=errors(NotFound),
)
async def channel_deliveries(
    channel_id: ChannelId,
    principal: ReaderPrincipal,
    bus: Bus,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> DeliveryList:
    _channel(await _alerting(bus, principal.licence_id), channel_id)
    found = await AlertStore(bus.store).deliveries(
        principal.licence_id, channel_id=channel_id, limit=limit
    )
    return DeliveryList(deliveries=[_delivery_out(d) for d in found])


@router.get("/v1/alerts/rules", response_model=RuleList, summary="A licence's alert rules")
async def list_rules(principal: ReaderPrincipal, bus: Bus) -> RuleList:
    alerting = await _alerting(bus, principal.licence_id)
    return RuleList(rules=[RuleOut(**alerting.rule(k).model_dump()) for k in RULE_KINDS])


@router.put(
    "/v1/alerts/rules/{kind}",
    response_model=RuleOut,
    summary="Change a rule: on or off, its parameters, its channels",
    responses={**COMMAND, **errors(NotFound)},
    dependencies=[CommandLimit],
)
async def set_rule(
    kind: RuleKind, body: RuleParams, principal: MemberPrincipal, bus: Bus, response: Response
) -> RuleOut:
    async with command(bus, principal.licence_id, principal.actor, response) as cmd:
        if body.channels is not None:
            known = {c.channel_id for c in (await _alerting(bus, principal.licence_id)).channels}
            for i, channel_id in enumerate(body.channels):
                if channel_id not in known:
                    raise invalid(
                        "body",
                        ("channels", i),
                        f"no alert channel {channel_id!r}",
                        fr=f"Aucun canal d’alerte {channel_id!r}.",
                    )
        before = await cmd.current(Entity.ALERT_RULE, kind)
        rule = RuleDoc(kind=kind, **body.model_dump())
        await cmd.apply("alert.rule_set", Entity.ALERT_RULE, rule, entity_id=kind, before=before)
    return RuleOut(**rule.model_dump())


@router.get("/v1/alerts/settings", response_model=SettingsDoc, summary="Quiet hours and caps")
async def get_settings(principal: ReaderPrincipal, bus: Bus) -> SettingsDoc:
    return (await _alerting(bus, principal.licence_id)).settings


@router.put(
    "/v1/alerts/settings",
    response_model=SettingsDoc,
    summary="Set quiet hours (messages wait until they end) and the messages per hour cap",
    responses=COMMAND,
    dependencies=[CommandLimit],
)
async def set_settings(
    body: SettingsDoc, principal: MemberPrincipal, bus: Bus, response: Response
) -> SettingsDoc:
    async with command(bus, principal.licence_id, principal.actor, response) as cmd:
        before = await cmd.current(Entity.ALERT_SETTINGS)
        await cmd.apply("alert.settings_set", Entity.ALERT_SETTINGS, body, before=before)
    return body


def _cursor(alert: AlertDoc) -> str:
    return f"{int(alert.fired_at.timestamp() * 1000)}|{alert.alert_id}"


def _after(cursor: str | None) -> tuple[datetime, str] | None:
    if cursor is None:
        return None
    at, _, alert_id = cursor.partition("|")
    if not at.isdigit() or not alert_id or int(at) > 10**14:
        raise invalid(
            "query",
            "cursor",
            "not a cursor of this list",
            fr="Ce curseur ne vient pas de cette liste.",
        )
    return datetime.fromtimestamp(int(at) / 1000, UTC), alert_id


@router.get(
    "/v1/alerts",
    response_model=AlertPage,
    summary="The alerts fired: firing and resolved, with their events and deliveries",
    description="Newest first; `next_cursor` pages on.",
)
async def list_alerts(
    principal: ReaderPrincipal,
    bus: Bus,
    state: AlertState | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> AlertPage:
    store = AlertStore(bus.store)
    found = await store.alerts(principal.licence_id, state, limit, _after(cursor))
    ids = [a.alert_id for a in found]
    deliveries = (
        await store.deliveries(principal.licence_id, alert_ids=ids, limit=MAX_PAGE * 5)
        if ids
        else []
    )
    by_alert: dict[str, list[AlertDeliveryState]] = {}
    for delivery in deliveries:
        for item in delivery.items:
            by_alert.setdefault(item.alert.alert_id, []).append(
                AlertDeliveryState(
                    channel_id=delivery.channel_id,
                    state=delivery.state,
                    delivered_at=delivery.delivered_at,
                )
            )
    return AlertPage(
        alerts=[
            AlertOut(
                **a.model_dump(exclude={"notified_at"}), deliveries=by_alert.get(a.alert_id, [])
            )
            for a in found
        ],
        next_cursor=_cursor(found[-1]) if len(found) == limit else None,
    )
