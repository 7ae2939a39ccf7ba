"""Failed sign-ins slow down per account and per client address; only failures count.

Counted in this process's memory, as the write limits are (infra/rate_limit.py): exact for one
API process, and for several when a person's requests go to one process.
"""

from __future__ import annotations

from cachetools import TTLCache
from limits import RateLimitItem
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from accounts.config import SignInLimits
from infra.rate_limit import parse_limits, seconds_to_reset

KNOWN_ADDRESS_DAYS = 30
MAX_KNOWN = 100_000


class SignInThrottle:
    """Called on the event loop around each password check; never blocks, raises nothing."""

    def __init__(self, limits: SignInLimits) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._per_account = parse_limits(limits.per_account)
        self._per_address = parse_limits(limits.per_address)
        self.notify_after = limits.notify_after
        self._checks_per_address = parse_limits(limits.checks_per_address)
        self._mails = [
            *((item, "mail-from") for item in parse_limits(limits.mails_per_address)),
            *((item, "mail-to") for item in parse_limits(limits.mails_per_email)),
        ]
        # (account, address) pairs that signed in: their sign-ins ignore the account's limit.
        self._known: TTLCache[tuple[str, str], bool] = TTLCache(
            MAX_KNOWN, KNOWN_ADDRESS_DAYS * 86_400
        )

    def _checks(self, account: str, address: str) -> list[tuple[RateLimitItem, tuple[str, ...]]]:
        checks: list[tuple[RateLimitItem, tuple[str, ...]]] = [
            (item, ("address", address)) for item in self._per_address
        ]
        if (account, address) not in self._known:
            checks += [(item, ("account", account)) for item in self._per_account]
        return checks

    def wait(self, account: str, address: str) -> int | None:
        """Seconds before `address` may try `account` again; None: it may now."""
        for item, identifiers in self._checks(account, address):
            if not self._limiter.test(item, *identifiers):
                return seconds_to_reset(self._limiter, item, *identifiers)
        return None

    def failed(self, account: str, address: str) -> bool:
        """Count a failure; True when the account's owner should now be told (once per window
        of the account's first limit)."""
        for item, identifiers in self._checks(account, address):
            self._limiter.hit(item, *identifiers)
        for item in self._per_account[:1]:
            failures = (
                item.amount - self._limiter.get_window_stats(item, "account", account).remaining
            )
            return failures == self.notify_after
        return False

    def succeeded(self, account: str, address: str) -> None:
        self._known[(account, address)] = True

    def may_mail(self, email: str, address: str) -> bool:
        """Count one e-mail `address` asks us to send to `email`; False past either limit."""
        identifiers = {"mail-from": address, "mail-to": email}
        checks = [(item, (kind, identifiers[kind])) for item, kind in self._mails]
        if not all(self._limiter.test(item, *ids) for item, ids in checks):
            return False
        for item, ids in checks:
            self._limiter.hit(item, *ids)
        return True

    def check_wait(self, address: str) -> int | None:
        """Count one password check from `address`; the seconds to wait past its limit."""
        for item in self._checks_per_address:
            if not self._limiter.hit(item, "check", address):
                return seconds_to_reset(self._limiter, item, "check", address)
        return None
