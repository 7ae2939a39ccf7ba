"""What the accounts component is configured with, resolved once by the root."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

CREATE_LINK_TTL = timedelta(days=7)
RESET_LINK_TTL = timedelta(hours=1)


@dataclass(frozen=True)
class AccountPolicy:
    public_url: str
    """Where merchants open the web interface: the base of every link an e-mail carries."""
    contact_url: str
    """The vendor's contact page, shown to a person holding no licence."""
    session_idle: timedelta
    session_absolute: timedelta

    def page(self, route: str) -> str:
        return f"{self.public_url.rstrip('/')}/#/{route}"


@dataclass(frozen=True)
class SignInLimits:
    """Failed sign-ins allowed, in the `limits` notation ("10/15 minutes")."""

    per_account: str
    """Per account, from addresses that never signed in to it (a known address is not
    slowed by an attacker elsewhere: the merchant is never locked out by someone else)."""
    per_address: str
    """Per client address, whatever the accounts tried."""
    notify_after: int
    """Failures of one account within its window after which its owner is e-mailed, once."""
    mails_per_address: str
    """Sign-up and forgotten-password e-mails one client address may trigger; past it the
    answer is the same and nothing is sent (no mailbox is flooded through us)."""
    mails_per_email: str
    """The same, per e-mail address written to."""
    checks_per_address: str
    """Password checks (`/v1/auth/password/check`, tens of milliseconds of CPU each) per
    client address."""
