"""The alert desk: the one writer of alerts and their deliveries, run by one worker of the
fleet at a time (the root's choice, as the ticket delivery desk).

Each pass, called by a timer every `interval_seconds`: reads what the licences with a channel
set, evaluates the rules on what ClickHouse holds (the slow rules every
`slow_interval_seconds`), decides what starts, repeats and ends, records each alert and each
message to send in the control log (`send`: the desk keeps its own state in memory, loaded
from ClickHouse when it starts or takes over), then sends the messages due.

What may block: ClickHouse queries, the control log, and the receivers (each send bounded by
its timeout). What it may raise: an outage of ClickHouse or the broker (the timer waits for the
next pass); anything else is a bug.

Nothing is sent twice: an alert's id is its condition and when it started, so a condition
decided again (a replay changes no condition: the rollups are exact; a new desk loads what its
predecessor recorded) is the alert already recorded. A message is recorded before it is sent,
and its outcome after: only a crash between the two can send it again, with the same
`ERO-Delivery` id for the receiver to recognise.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import structlog

from alerts.conditions import RECENT, Conditions
from alerts.config import AlertingConfig
from alerts.rules import HOUR, Condition, Observed, Rhythm, digest_due, holding, quiet_until, rhythm
from alerts.senders import Senders
from alerts.store import AlertStore, LicenceAlerting
from control_plane.bus import ControlBus, new_event
from control_plane.delivery import ERROR_CHARS, DeliveryFailed, retry_wait
from control_plane.store import Revision
from schemas.alerts import (
    MAX_ITEMS,
    AlertDeliveryDoc,
    AlertDoc,
    ChannelDoc,
    DeliveredAlert,
    Notification,
    Purpose,
    RuleKind,
)
from schemas.control import ControlEvent, ControlKind, Entity

log = structlog.get_logger(__name__)

ACTOR = "system"

_KINDS: dict[Notification, ControlKind] = {
    "firing": "alert.fired",
    "repeat": "alert.notified",
    "resolved": "alert.resolved",
}


@dataclass
class _Alert:
    licence_id: str
    row: Revision
    doc: AlertDoc
    key: str
    repeats: bool


@dataclass
class _Delivery:
    licence_id: str
    row: Revision
    doc: AlertDeliveryDoc


def _key_of(doc: AlertDoc) -> str:
    return doc.alert_id.rpartition("|")[0]


@dataclass
class AlertDesk:
    bus: ControlBus
    store: AlertStore
    conditions: Conditions
    senders: Senders
    config: AlertingConfig
    _loaded: set[str] = field(default_factory=set)
    _firing: dict[tuple[str, str], _Alert] = field(default_factory=dict)
    _known: set[tuple[str, str]] = field(default_factory=set)
    _outstanding: dict[str, _Delivery] = field(default_factory=dict)
    _sent: dict[str, list[datetime]] = field(default_factory=dict)
    _slow_at: datetime | None = None
    _slow: Observed = field(default_factory=Observed)

    def forget(self) -> None:
        """Another desk may have written since: load everything again at the next pass."""
        self._loaded.clear()
        self._firing.clear()
        self._known.clear()
        self._outstanding.clear()
        self._sent.clear()
        self._slow_at = None

    async def run_pass(self, now: datetime | None = None) -> int:
        """Evaluates and sends; returns how many messages were tried."""
        now = now or datetime.now(UTC)
        configured = await self.store.configured()
        await self._load([lic for lic in configured if lic not in self._loaded], now)
        if not configured:
            return 0
        licences = sorted(configured)
        if self._slow_at is None or now - self._slow_at >= timedelta(
            seconds=self.config.slow_interval_seconds
        ):
            self._slow = await self._observe_slow(licences, now)
            self._slow_at = now
            for config in configured.values():
                await self._digest(config, now)
        observed = await self._observe(configured, licences, now)
        for config in configured.values():
            await self._decide(config, observed, now)
        return await self._send_due(configured, now)

    async def _load(self, licences: Sequence[str], now: datetime) -> None:
        if not licences:
            return
        firing, outstanding, known = await self.store.open_state(licences)
        self._known |= known
        for licence_id, row in firing:
            doc = row.doc(AlertDoc)
            self._firing[(licence_id, _key_of(doc))] = _Alert(
                licence_id, row, doc, _key_of(doc), doc.kind not in ("new_group", "regression")
            )
        for licence_id, row in outstanding:
            delivery = row.doc(AlertDeliveryDoc)
            if delivery.purpose != "test" and delivery.state != "dropped":
                self._outstanding[delivery.delivery_id] = _Delivery(licence_id, row, delivery)
        for _, delivery in await self.store.delivered_since(licences, now - HOUR):
            if delivery.delivered_at is not None:
                self._sent.setdefault(delivery.channel_id, []).append(delivery.delivered_at)
        self._loaded |= set(licences)

    async def _observe_slow(self, licences: Sequence[str], now: datetime) -> Observed:
        minutes = await self.conditions.active_minutes(licences, now)
        return Observed(
            usual_errors=await self.conditions.usual_errors(licences, now),
            rhythms={key: rhythm(found, last) for key, (found, last) in minutes.items()},
            stuck=await self.conditions.stuck_orders(licences, now),
        )

    async def _observe(
        self, configured: dict[str, LicenceAlerting], licences: Sequence[str], now: datetime
    ) -> Observed:
        errors: dict[tuple[str, str], int] = {}
        by_window: dict[int, list[str]] = {}
        for licence_id, config in configured.items():
            by_window.setdefault(config.rule("error_spike").window_minutes, []).append(licence_id)
        for minutes, among in by_window.items():
            errors |= await self.conditions.errors_since(among, now - timedelta(minutes=minutes))
        rhythms = dict(self._slow.rhythms)
        for key, last in (await self.conditions.last_events(licences, now - RECENT)).items():
            known = rhythms.get(key)
            if known is None or last > known.last_event_at:
                rhythms[key] = Rhythm(last, known.median_interval if known else None)
        return Observed(
            groups=await self.conditions.recent_groups(licences, now),
            resolved_groups=await self.store.resolved_groups(licences),
            errors=errors,
            usual_errors=self._slow.usual_errors,
            rhythms=rhythms,
            stuck=self._slow.stuck,
        )

    async def _decide(self, config: LicenceAlerting, observed: Observed, now: datetime) -> None:
        licence = config.licence_id
        mine = {key: alert for (lic, key), alert in self._firing.items() if lic == licence}
        conditions = {c.key: c for c in holding(config, observed, now, mine.keys())}
        changes: list[tuple[_Alert | None, AlertDoc, Notification, Condition | None]] = []
        for key, condition in conditions.items():
            alert = mine.get(key)
            if alert is None:
                if (licence, condition.alert_id()) in self._known:
                    continue
                changes.append(
                    (None, await self._started(licence, condition, now), "firing", condition)
                )
            elif alert.repeats and now - alert.doc.notified_at >= timedelta(
                minutes=config.rule(condition.rule).repeat_minutes
            ):
                after = alert.doc.model_copy(
                    update={
                        "notified_at": now,
                        "summary_fr": condition.summary_fr,
                        "summary_en": condition.summary_en,
                    }
                )
                changes.append((alert, after, "repeat", condition))
        for key, alert in mine.items():
            if key not in conditions:
                after = alert.doc.model_copy(
                    update={"state": "resolved", "resolved_at": now, "notified_at": now}
                )
                changes.append((alert, after, "resolved", None))
        if changes:
            await self._record(config, changes, now)

    async def _started(self, licence: str, condition: Condition, now: datetime) -> AlertDoc:
        evidence = []
        if condition.evidence_since is not None:
            evidence = await self.conditions.evidence(
                licence,
                condition.evidence_since,
                connector_id=condition.connector_id,
                fingerprint=condition.fingerprint,
                reference=condition.reference,
            )
        return AlertDoc(
            alert_id=condition.alert_id(),
            kind=condition.kind,
            state="firing",
            connector_id=condition.connector_id,
            subject=condition.subject,
            summary_fr=condition.summary_fr,
            summary_en=condition.summary_en,
            report_url=condition.report_url,
            fired_at=now,
            notified_at=now,
            evidence=evidence,
        )

    async def _digest(self, config: LicenceAlerting, now: datetime) -> None:
        day = digest_due(config, now)
        if day is None:
            return
        alert_id = f"digest|||{day.isoformat()}"
        if (config.licence_id, alert_id) in self._known:
            return
        zone = config.settings.zone()
        start = datetime.combine(day, datetime.min.time(), zone).astimezone(UTC)
        end = start + timedelta(days=1)
        counts = await self.conditions.day_counts(config.licence_id, start, end)
        new_groups = await self.conditions.new_groups_between(config.licence_id, start, end)
        silent = sum(
            1
            for (lic, _), a in self._firing.items()
            if lic == config.licence_id and a.doc.kind == "silent_connector"
        )
        ok, alerts, errors = (counts.get(level, 0) for level in ("success", "alert", "error"))
        doc = AlertDoc(
            alert_id=alert_id,
            kind="digest",
            state="resolved",
            subject=day.isoformat(),
            summary_fr=f"Bilan du {day:%d/%m/%Y} : {ok} succès, {alerts} alertes, {errors} "
            f"erreurs ; {new_groups} nouvelles erreurs ; {silent} connecteurs silencieux",
            summary_en=f"Summary of {day.isoformat()}: {ok} successes, {alerts} alerts, "
            f"{errors} errors; {new_groups} new errors; {silent} silent connectors",
            report_url="/v1/reports?"
            + f"since={start.isoformat()}&until={end.isoformat()}".replace("+00:00", "Z"),
            fired_at=now,
            resolved_at=now,
            notified_at=now,
        )
        await self._record(config, [(None, doc, "firing", None)], now, purpose="digest")

    async def _record(
        self,
        config: LicenceAlerting,
        changes: Sequence[tuple[_Alert | None, AlertDoc, Notification, Condition | None]],
        now: datetime,
        purpose: Purpose = "alert",
    ) -> None:
        """Records the changes and the messages telling them, in one append."""
        licence = config.licence_id
        events: list[ControlEvent] = []
        per_channel: dict[str, tuple[ChannelDoc, list[DeliveredAlert]]] = {}
        for before, after, notification, _ in changes:
            events.append(
                new_event(
                    licence_id=licence,
                    kind=_KINDS[notification],
                    actor=ACTOR,
                    entity=Entity.ALERT,
                    entity_id=after.alert_id,
                    before=before.row if before else None,
                    after=after,
                    status=after.state,
                )
            )
            for channel in config.targets(_rule_of(after)):
                per_channel.setdefault(channel.channel_id, (channel, []))[1].append(
                    DeliveredAlert(alert=after, notification=notification)
                )
        deliveries: list[AlertDeliveryDoc] = []
        for channel, items in per_channel.values():
            batches = (
                [[item] for item in items]
                if channel.kind == "webhook"
                else [items[i : i + MAX_ITEMS] for i in range(0, len(items), MAX_ITEMS)]
            )
            deliveries += [_delivery(channel, batch, purpose, now) for batch in batches]
        events += [
            new_event(
                licence_id=licence,
                kind="alert.delivery_recorded",
                actor=ACTOR,
                entity=Entity.ALERT_DELIVERY,
                entity_id=d.delivery_id,
                after=d,
                status=d.state,
            )
            for d in deliveries
        ]
        await self.bus.send(events)
        for event, (_, after, _, condition) in zip(events, changes, strict=False):
            row = Revision.written_by(event)
            key = condition.key if condition else _key_of(after)
            self._known.add((licence, after.alert_id))
            if after.state == "firing":
                repeats = condition.repeats if condition else True
                self._firing[(licence, key)] = _Alert(licence, row, after, key, repeats)
            else:
                self._firing.pop((licence, key), None)
        for event, delivery in zip(events[len(changes) :], deliveries, strict=True):
            self._outstanding[delivery.delivery_id] = _Delivery(
                licence, Revision.written_by(event), delivery
            )
        log.info(
            "alerts_decided",
            licence_id=licence,
            alerts=[f"{a.alert_id}:{n}" for _, a, n, _ in changes],
            messages=len(deliveries),
        )

    async def _send_due(self, configured: dict[str, LicenceAlerting], now: datetime) -> int:
        tried = 0
        due = sorted(self._outstanding.values(), key=lambda d: d.doc.next_attempt_at)
        for delivery in due:
            if tried == self.config.per_pass or delivery.doc.next_attempt_at > now:
                break
            config = configured.get(delivery.licence_id)
            channel = next(
                (
                    c
                    for c in (config.channels if config else ())
                    if c.channel_id == delivery.doc.channel_id
                ),
                None,
            )
            if channel is None:
                await self._outcome(
                    delivery,
                    delivery.doc.model_copy(
                        update={"state": "dropped", "last_error": "channel removed"}
                    ),
                )
                continue
            assert config is not None
            if self._held(config, channel, now):
                continue
            tried += 1
            await self._attempt(delivery, channel, now)
        return tried

    def _held(self, config: LicenceAlerting, channel: ChannelDoc, now: datetime) -> bool:
        """Whether a message to `channel` waits: quiet hours, or its hourly cap reached (looked
        at each pass, so a change of the settings applies at once)."""
        if quiet_until(config.settings, now) is not None:
            return True
        sent = [at for at in self._sent.get(channel.channel_id, []) if at > now - HOUR]
        self._sent[channel.channel_id] = sent
        return len(sent) >= config.settings.max_per_hour

    async def _attempt(self, delivery: _Delivery, channel: ChannelDoc, now: datetime) -> None:
        doc = delivery.doc
        items = [(item.alert, item.notification) for item in doc.items]
        attempts = doc.attempts + 1
        try:
            detail = await self.senders.send(delivery.licence_id, channel, doc, items)
        except DeliveryFailed as exc:
            log.warning("alert_delivery_failed", delivery=doc.delivery_id, error=str(exc))
            after = doc.model_copy(
                update={
                    "state": "failing",
                    "attempts": attempts,
                    "last_error": str(exc)[:ERROR_CHARS],
                    "next_attempt_at": now + retry_wait(attempts),
                }
            )
        else:
            sent_at = datetime.now(UTC)
            self._sent.setdefault(channel.channel_id, []).append(sent_at)
            after = doc.model_copy(
                update={
                    "state": "delivered",
                    "attempts": attempts,
                    "detail": detail[:ERROR_CHARS],
                    "delivered_at": sent_at,
                    "next_attempt_at": sent_at,
                }
            )
        await self._outcome(delivery, after)

    async def _outcome(self, delivery: _Delivery, after: AlertDeliveryDoc) -> None:
        event = new_event(
            licence_id=delivery.licence_id,
            kind="alert.delivery_attempted",
            actor=ACTOR,
            entity=Entity.ALERT_DELIVERY,
            entity_id=after.delivery_id,
            before=delivery.row,
            after=after,
            status=after.state,
        )
        await self.bus.send([event])
        if after.state in ("delivered", "dropped"):
            self._outstanding.pop(after.delivery_id, None)
        else:
            delivery.row, delivery.doc = Revision.written_by(event), after


def _rule_of(alert: AlertDoc) -> RuleKind:
    """The rule whose channels an alert goes to: a regression is the new-group rule's."""
    return "new_group" if alert.kind == "regression" else alert.kind


def _delivery(
    channel: ChannelDoc, items: Sequence[DeliveredAlert], purpose: Purpose, now: datetime
) -> AlertDeliveryDoc:
    """A message's id is what it tells and to whom: decided twice, it is one message."""
    told = "\n".join(
        f"{i.alert.alert_id}/{i.notification}/{i.alert.notified_at.isoformat()}" for i in items
    )
    digest = hashlib.sha256(f"{channel.channel_id}\n{told}".encode()).hexdigest()[:32]
    return AlertDeliveryDoc(
        delivery_id=digest,
        channel_id=channel.channel_id,
        purpose=purpose,
        items=list(items),
        state="pending",
        created_at=now,
        next_attempt_at=now,
    )
