"""The rules, as pure functions of what was observed: which conditions hold now, for each
licence. The desk (alerts/desk.py) compares them with what is firing to decide what starts,
repeats and ends. No I/O here: every decision is testable with a clock and a few rows."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from urllib.parse import urlencode

from alerts.conditions import HISTORY, RECENT, Group, StuckOrder
from alerts.store import LicenceAlerting
from query_api.filters import iso
from schemas.alerts import AlertKind, RuleKind, SettingsDoc

HOUR = timedelta(hours=1)
MIN_RUNS = 3
"""Run starts needed before a connector's rhythm is trusted."""


@dataclass(frozen=True)
class Condition:
    """A condition holding for a licence: what an alert says while it fires."""

    key: str
    """What it is about, stable while it holds: `<kind>|<connector>|<subject>`."""
    kind: AlertKind
    rule: RuleKind
    connector_id: str | None
    subject: str
    started_at: datetime
    summary_fr: str
    summary_en: str
    report_url: str
    repeats: bool = True
    """A notice (a new group, a digest) is told once, never again while it holds."""
    evidence_since: datetime | None = None
    fingerprint: int | None = None
    reference: str | None = None

    def alert_id(self) -> str:
        """The same condition started at the same moment is the same alert, whoever decides."""
        return f"{self.key}|{int(self.started_at.timestamp() * 1000)}"


def _report(licence: str, **query: str | int) -> str:
    del licence  # a report is the licence's own: the licence is its reader's, never a parameter
    return "/v1/reports?" + urlencode(query)


@dataclass(frozen=True)
class Observed:
    """What the desk read, for every alerting licence."""

    groups: Sequence[Group] = ()
    resolved_groups: Mapping[tuple[str, int], datetime] = field(default_factory=dict)
    """(licence, fingerprint) → when a member resolved it."""
    errors: Mapping[tuple[str, str], int] = field(default_factory=dict)
    """(licence, connector) → errors within the licence's spike window."""
    usual_errors: Mapping[tuple[str, str], int] = field(default_factory=dict)
    """(licence, connector) → errors over the last 7 days."""
    rhythms: Mapping[tuple[str, str], Rhythm] = field(default_factory=dict)
    stuck: Sequence[StuckOrder] = ()


@dataclass(frozen=True)
class Rhythm:
    last_event_at: datetime
    median_interval: timedelta | None
    """Between run starts over the last 7 days; None before MIN_RUNS starts."""


def rhythm(minutes: Sequence[datetime], last_event_at: datetime) -> Rhythm:
    """A run starts at an active minute that follows a quiet one."""
    starts = [
        m for i, m in enumerate(minutes) if i == 0 or m - minutes[i - 1] > timedelta(minutes=1)
    ]
    if len(starts) < MIN_RUNS:
        return Rhythm(last_event_at, None)
    intervals = sorted(b - a for a, b in pairwise(starts))
    return Rhythm(last_event_at, intervals[len(intervals) // 2])


def _group_conditions(
    config: LicenceAlerting, observed: Observed, now: datetime, firing: Collection[str]
) -> Iterable[Condition]:
    """A group first seen within the hour, or a resolved one with a later event; it holds while
    the group has errors within the hour."""
    licence = config.licence_id
    if not config.rule("new_group").enabled:
        return
    for group in observed.groups:
        if group.licence_id != licence or group.last_event_at < now - RECENT:
            continue
        resolved_at = observed.resolved_groups.get((licence, group.fingerprint))
        report = _report(licence, fingerprint=group.fingerprint, since=iso(group.first_event_at))
        where = f"[{group.operation}] {group.message[:200]}"
        if resolved_at is not None and group.last_event_at > resolved_at:
            yield Condition(
                f"regression||{group.fingerprint}",
                "regression",
                "new_group",
                None,
                str(group.fingerprint),
                resolved_at,
                f"Erreur résolue revenue : {where}",
                f"Resolved error is back: {where}",
                report,
                repeats=False,
                evidence_since=resolved_at,
                fingerprint=group.fingerprint,
            )
            continue
        key = f"new_group||{group.fingerprint}"
        if group.first_event_at >= now - RECENT or key in firing:
            yield Condition(
                key,
                "new_group",
                "new_group",
                group.connectors[0] if len(group.connectors) == 1 else None,
                str(group.fingerprint),
                group.first_event_at,
                f"Nouvelle erreur : {where}",
                f"New error: {where}",
                report,
                repeats=False,
                evidence_since=group.first_event_at,
                fingerprint=group.fingerprint,
            )


def usual_per_window(usual_7d: int, window: timedelta) -> float:
    return usual_7d * (window / HISTORY)


def _spikes(config: LicenceAlerting, observed: Observed, now: datetime) -> Iterable[Condition]:
    rule = config.rule("error_spike")
    if not rule.enabled:
        return
    window = timedelta(minutes=rule.window_minutes)
    for (licence, connector), count in observed.errors.items():
        if licence != config.licence_id or count < rule.threshold:
            continue
        usual = usual_per_window(observed.usual_errors.get((licence, connector), 0), window)
        if count < rule.multiple * usual:
            continue
        yield Condition(
            f"error_spike|{connector}|",
            "error_spike",
            "error_spike",
            connector,
            "",
            now,
            f"Pic d’erreurs sur {connector} : {count} erreurs en {rule.window_minutes} min",
            f"Error spike on {connector}: {count} errors in {rule.window_minutes} min",
            _report(licence, connector_id=connector, level="error", since=iso(now - window)),
            evidence_since=now - window,
        )


def silence_allowed(
    rule_fixed: int | None, grace: int, factor: float, floor: int, median: timedelta | None
) -> timedelta | None:
    """How long a connector may be quiet: a fixed period plus grace, else its learned rhythm
    (never below the floor); None: no rhythm learned yet."""
    if rule_fixed is not None:
        return timedelta(minutes=rule_fixed + grace)
    if median is None:
        return None
    return max(median * factor, timedelta(minutes=floor))


def _silences(config: LicenceAlerting, observed: Observed, now: datetime) -> Iterable[Condition]:
    rule = config.rule("silent_connector")
    if not rule.enabled:
        return
    for (licence, connector), seen in observed.rhythms.items():
        if licence != config.licence_id:
            continue
        allowed = silence_allowed(
            rule.fixed_minutes,
            rule.grace_minutes,
            rule.factor,
            rule.min_minutes,
            seen.median_interval,
        )
        if allowed is None or now - seen.last_event_at <= allowed:
            continue
        minutes = int((now - seen.last_event_at).total_seconds() // 60)
        yield Condition(
            f"silent_connector|{connector}|",
            "silent_connector",
            "silent_connector",
            connector,
            "",
            seen.last_event_at,
            f"Connecteur {connector} silencieux depuis {minutes} min",
            f"Connector {connector} silent for {minutes} min",
            _report(licence, connector_id=connector, since=iso(seen.last_event_at - HOUR)),
        )


def _stuck(config: LicenceAlerting, observed: Observed, now: datetime) -> Iterable[Condition]:
    rule = config.rule("stuck_order")
    if not rule.enabled:
        return
    for order in observed.stuck:
        if order.licence_id != config.licence_id:
            continue
        if order.failing_since > now - timedelta(hours=rule.hours):
            continue
        yield Condition(
            f"stuck_order|{order.connector_id}|{order.reference}",
            "stuck_order",
            "stuck_order",
            order.connector_id,
            order.reference,
            order.failing_since,
            f"Commande {order.reference} non importée depuis {rule.hours} h : "
            f"{order.message[:200]}",
            f"Order {order.reference} not imported for {rule.hours} h: {order.message[:200]}",
            _report(config.licence_id, q=order.reference, since=iso(order.failing_since)),
            evidence_since=order.failing_since,
            reference=order.reference,
        )


def holding(
    config: LicenceAlerting, observed: Observed, now: datetime, firing: Collection[str] = ()
) -> list[Condition]:
    """Every condition holding now for the licence (the digest apart: digest_due); `firing`:
    the keys of its alerts firing now."""
    return [
        *_group_conditions(config, observed, now, firing),
        *_spikes(config, observed, now),
        *_silences(config, observed, now),
        *_stuck(config, observed, now),
    ]


def digest_due(config: LicenceAlerting, now: datetime) -> date | None:
    """The day whose digest is due now: yesterday (local), once the local hour has come, for a
    licence whose first e-mail channel was added before this morning's hour (so the first
    digest comes the morning after it was added)."""
    rule = config.rule("digest")
    emails = [c for c in config.targets("digest")]
    if not rule.enabled or not emails:
        return None
    zone = config.settings.zone()
    local = now.astimezone(zone)
    sent_at = datetime.combine(local.date(), time(rule.hour), zone)
    if local < sent_at or min(c.created_at for c in emails) >= sent_at:
        return None
    return local.date() - timedelta(days=1)


def quiet_until(settings: SettingsDoc, now: datetime) -> datetime | None:
    """The end of the licence's quiet hours if `now` falls in them (they may wrap midnight)."""
    start, end = settings.quiet_start, settings.quiet_end
    if start is None or end is None or start == end:
        return None
    zone = settings.zone()
    local = now.astimezone(zone)
    clock = local.time().replace(tzinfo=None)
    inside = start <= clock < end if start < end else (clock >= start or clock < end)
    if not inside:
        return None
    ends = datetime.combine(local.date(), end, zone)
    if ends <= local:
        ends += timedelta(days=1)
    return ends
