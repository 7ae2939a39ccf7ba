"""When a digest is due, and when quiet hours hold messages back: both in the licence's time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from alerts.rules import digest_due, quiet_until
from alerts.store import LicenceAlerting
from schemas.alerts import ChannelDoc, ChannelKind, RuleDoc, SettingsDoc

PARIS = ZoneInfo("Europe/Paris")  # UTC+1 in December
LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)


def channel(created_at: datetime, kind: ChannelKind = "email") -> ChannelDoc:
    return ChannelDoc(
        channel_id=f"ch-{kind}-{created_at:%j%H%M}",
        kind=kind,
        name="Ops",
        emails=["ops@example.com"] if kind == "email" else [],
        url=None if kind == "email" else "https://hooks.example.com/x",
        created_at=created_at,
    )


def licence(
    *channels: ChannelDoc, hour: int = 7, enabled: bool = True, zone: str = "Europe/Paris"
) -> LicenceAlerting:
    return LicenceAlerting(
        "lic-1",
        channels,
        {"digest": RuleDoc(kind="digest", hour=hour, enabled=enabled)},
        SettingsDoc(timezone=zone),
    )


def paris(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=PARIS)


# digest_due


def test_no_digest_before_the_local_hour() -> None:
    assert digest_due(licence(channel(LONG_AGO)), paris(2, 6, 59)) is None


def test_yesterdays_digest_is_due_once_the_local_hour_has_come() -> None:
    assert digest_due(licence(channel(LONG_AGO)), paris(2, 7)) == date(2026, 12, 1)
    assert digest_due(licence(channel(LONG_AGO)), paris(2, 23)) == date(2026, 12, 1)


def test_yesterday_is_the_licences_local_yesterday() -> None:
    # 23:30 UTC on the 2nd is 00:30 on the 3rd in Paris: the 2nd is Paris's yesterday.
    now = datetime(2026, 12, 2, 23, 30, tzinfo=UTC)
    assert digest_due(licence(channel(LONG_AGO), hour=0), now) == date(2026, 12, 2)


def test_the_local_hour_is_the_licences_time_zone() -> None:
    now = datetime(2026, 12, 2, 7, 30, tzinfo=UTC)  # 08:30 in Paris, 02:30 in New York
    assert digest_due(licence(channel(LONG_AGO)), now) == date(2026, 12, 1)
    assert digest_due(licence(channel(LONG_AGO), zone="America/New_York"), now) is None


@pytest.mark.parametrize("added", [paris(2, 7), paris(2, 9)])
def test_no_digest_the_morning_the_first_email_channel_was_added(added: datetime) -> None:
    assert digest_due(licence(channel(added)), paris(2, 10)) is None
    assert digest_due(licence(channel(added)), paris(3, 7)) == date(2026, 12, 2)


def test_an_older_email_channel_makes_the_digest_due_despite_a_new_one() -> None:
    channels = (channel(paris(2, 9)), channel(LONG_AGO))
    assert digest_due(licence(*channels), paris(2, 10)) == date(2026, 12, 1)


def test_only_email_channels_count() -> None:
    old_webhook = channel(LONG_AGO, "webhook")
    assert digest_due(licence(old_webhook), paris(2, 10)) is None
    assert digest_due(licence(old_webhook, channel(paris(2, 9))), paris(2, 10)) is None


def test_no_digest_when_the_rule_is_disabled() -> None:
    assert digest_due(licence(channel(LONG_AGO), enabled=False), paris(2, 10)) is None


# quiet_until


NIGHT = SettingsDoc(quiet_start=time(22), quiet_end=time(7))
LUNCH = SettingsDoc(quiet_start=time(12), quiet_end=time(14))


@pytest.mark.parametrize(
    ("now", "until"),
    [
        (paris(2, 23, 30), paris(3, 7)),  # before midnight: tomorrow morning
        (paris(3, 3), paris(3, 7)),  # after midnight: this morning
        (paris(2, 22), paris(3, 7)),  # the start is inside
        (paris(3, 7), None),  # the end is not
        (paris(2, 12), None),
    ],
)
def test_quiet_hours_wrapping_midnight(now: datetime, until: datetime | None) -> None:
    assert quiet_until(NIGHT, now) == until


@pytest.mark.parametrize(
    ("now", "until"),
    [(paris(2, 13), paris(2, 14)), (paris(2, 11, 59), None), (paris(2, 14), None)],
)
def test_quiet_hours_within_a_day(now: datetime, until: datetime | None) -> None:
    assert quiet_until(LUNCH, now) == until


def test_quiet_hours_are_the_licences_local_time() -> None:
    new_york = NIGHT.model_copy(update={"timezone": "America/New_York"})
    now = datetime(2026, 12, 2, 23, 30, tzinfo=UTC)  # 00:30 in Paris, 18:30 in New York
    assert quiet_until(NIGHT, now) == paris(3, 7)
    assert quiet_until(new_york, now) is None


@pytest.mark.parametrize(
    "settings",
    [
        SettingsDoc(),
        SettingsDoc(quiet_start=time(22)),
        SettingsDoc(quiet_end=time(7)),
        SettingsDoc(quiet_start=time(22), quiet_end=time(22)),
    ],
)
def test_no_quiet_hours(settings: SettingsDoc) -> None:
    assert quiet_until(settings, paris(2, 22, 30)) is None
