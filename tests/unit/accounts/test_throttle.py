"""Failed sign-ins slow down per account and per address, and a known address is never locked
out by failures from elsewhere (in-memory counters: a unit of its own, no engine involved)."""

from __future__ import annotations

from accounts.config import SignInLimits
from accounts.throttle import SignInThrottle

LIMITS = SignInLimits(
    per_account="3/15 minutes",
    per_address="5/15 minutes",
    notify_after=2,
    mails_per_address="2/hour",
    mails_per_email="1/hour",
    checks_per_address="2/minute",
)


def test_an_account_waits_after_its_failures() -> None:
    throttle = SignInThrottle(LIMITS)
    told = [throttle.failed("a@x.fr", "203.0.113.1") for _ in range(3)]
    assert told == [False, True, False]  # the owner is told once, at the second failure
    wait = throttle.wait("a@x.fr", "203.0.113.2")  # from any unknown address
    assert wait is not None
    assert 15 * 60 - 5 <= wait <= 15 * 60  # the window's end: the failures were just now
    assert throttle.wait("b@x.fr", "203.0.113.2") is None  # another account is not slowed


def test_a_known_address_is_not_locked_out_by_others() -> None:
    throttle = SignInThrottle(LIMITS)
    throttle.succeeded("a@x.fr", "192.0.2.10")
    for _ in range(3):
        throttle.failed("a@x.fr", "198.51.100.66")
    assert throttle.wait("a@x.fr", "198.51.100.66") is not None
    assert throttle.wait("a@x.fr", "192.0.2.10") is None


def test_an_address_waits_after_failures_on_many_accounts() -> None:
    throttle = SignInThrottle(LIMITS)
    for index in range(5):
        throttle.failed(f"user{index}@x.fr", "198.51.100.66")
    assert throttle.wait("someone@x.fr", "198.51.100.66") is not None
    assert throttle.wait("someone@x.fr", "198.51.100.67") is None


def test_e_mails_sent_for_an_address_are_bounded() -> None:
    throttle = SignInThrottle(LIMITS)
    assert throttle.may_mail("a@x.fr", "198.51.100.66")
    assert not throttle.may_mail("a@x.fr", "198.51.100.67")  # one per target and hour
    assert throttle.may_mail("b@x.fr", "198.51.100.66")
    assert not throttle.may_mail("c@x.fr", "198.51.100.66")  # two per address and hour


def test_password_checks_are_bounded_per_address() -> None:
    throttle = SignInThrottle(LIMITS)
    assert [throttle.check_wait("198.51.100.66") for _ in range(2)] == [None, None]
    wait = throttle.check_wait("198.51.100.66")
    assert wait is not None
    assert 55 <= wait <= 60
    assert throttle.check_wait("198.51.100.67") is None
