"""The people who sign in: their accounts, password links, sessions and licence memberships.

They are control-plane entities (schemas/control.py): each change is a command on the control
topic, projected into ClickHouse and audited. What belongs to no licence (a person, a link, a
session) lives under the licence id ACCOUNTS; a membership lives under its licence, so a team
is read like any other entity of the licence.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from schemas.control import Document, Email, OneLine

ACCOUNTS = "@accounts"
"""The licence id of what belongs to no licence; no licence id can take it (they are UUIDs)."""

RoleName = Literal["owner", "member", "viewer"]
LinkPurpose = Literal["create", "reset"]
"""create: a new account's first password (sign-up, invitation; 7 days); reset: 1 hour."""

Password = Annotated[str, Field(min_length=1, max_length=1024)]
"""What a password field accepts before the policy (accounts/password_policy.py) judges it:
the policy names the rule (12 to 128 characters...), not the schema."""
Token = Annotated[str, StringConstraints(min_length=1, max_length=200)]
TotpCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]


class UserDoc(Document):
    """A person: the profile anyone of their team may see."""

    user_id: str
    email: str
    name: str | None = None
    shop_name: str | None = None
    operator: bool = False
    """One of the vendor's people: sees every licence, none of a merchant's secrets."""
    created_at: datetime


class CredentialDoc(Document):
    """A person's secrets, apart from the profile: never shown by any endpoint or the audit."""

    password_hash: str | None = None
    """Argon2id (PHC string); None until the person created their password."""
    sessions_after: datetime | None = None
    """Sessions opened before this are revoked (a password change, a reset)."""
    totp_secret: str | None = None
    totp_pending: str | None = None
    """A secret being set up: becomes totp_secret once a code from it is confirmed."""
    totp_last_step: int | None = None
    """The time step of the last code accepted: a code is accepted once."""
    recovery_hashes: tuple[str, ...] = ()
    """SHA-256 of each unused recovery code (80 random bits each)."""


class LoginDoc(Document):
    """An e-mail address (entity id: its lowercase form) and the account it signs in to."""

    user_id: str


class LinkDoc(Document):
    """A password link (entity id: the SHA-256 of its token): single-use, expiring."""

    user_id: str
    purpose: LinkPurpose
    expires_at: datetime
    used_at: datetime | None = None


class SessionDoc(Document):
    """A signed-in browser or client (entity id: the SHA-256 of its token)."""

    user_id: str
    created_at: datetime
    expires_at: datetime
    """The absolute limit (ERO_SESSION_ABSOLUTE_HOURS)."""
    address: str | None = None
    revoked_at: datetime | None = None


class SessionSeenDoc(Document):
    """A session's last use, to the minute (entity id: the session's): idle past
    ERO_SESSION_IDLE_MINUTES ends it. Apart from the session, so that recording a use never
    races with its revocation."""

    seen_at: datetime


class MemberDoc(Document):
    """A person's role in a licence (under that licence; entity id: the user id)."""

    user_id: str
    role: RoleName
    added_by: str


# Requests and answers of /v1/auth ----------------------------------------------------------


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SignupRequest(Request):
    email: Email
    name: OneLine | None = None
    shop_name: OneLine | None = None


class ForgotRequest(Request):
    email: Email


class PasswordRequest(Request):
    token: Token
    password: Password


class PasswordCheckRequest(Request):
    password: Password
    token: Token | None = Field(
        None, description="The link being used: its account's e-mail and shop name count too."
    )


class ChangePasswordRequest(Request):
    current_password: Password
    new_password: Password


class LoginRequest(Request):
    email: Email
    password: Password
    totp: TotpCode | None = Field(
        None, description="A code of the authenticator app, or a recovery code."
    )


class LinkRequest(Request):
    token: Token


class TotpCodeRequest(Request):
    code: TotpCode


class TotpDisableRequest(Request):
    password: Password


class LicenceHeld(BaseModel):
    licence_id: str
    name: str
    status: str
    role: RoleName


class SessionAnswer(BaseModel):
    session_token: str
    expires_at: datetime
    licences: list[LicenceHeld]


class Person(BaseModel):
    user_id: str
    email: str
    name: str | None
    shop_name: str | None
    operator: bool
    totp_enabled: bool


class Me(BaseModel):
    user: Person
    licences: list[LicenceHeld]
    expires_at: datetime
    idle_expires_at: datetime


class LinkState(BaseModel):
    purpose: LinkPurpose
    email: str
    expires_at: datetime


class PolicyRule(BaseModel):
    code: str
    fr: str
    en: str


class PasswordPolicy(BaseModel):
    min_chars: int
    max_chars: int
    rules: list[PolicyRule]


class PasswordVerdict(BaseModel):
    ok: bool
    failed: list[PolicyRule]


class TotpSetup(BaseModel):
    secret: str
    uri: str
    qr_svg: str


class RecoveryCodes(BaseModel):
    recovery_codes: list[str]


class Accepted(BaseModel):
    """The same answer whatever the e-mail: no one learns whether it has an account."""

    fr: str
    en: str
