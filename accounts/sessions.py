"""Resolving a person's session token into who acts in which licence (licences.http.Sessions).

Checked on every call: the session exists and is not revoked, neither idle past
ERO_SESSION_IDLE_MINUTES nor older than ERO_SESSION_ABSOLUTE_HOURS, opened after the account's
last password change, and the person holds the licence (an operator: any licence, as a viewer).
An answer is kept SECONDS_CACHED for one (session, licence): a sign-out or a role change made by
this process applies at once, one made by another process within that time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cachetools import TTLCache

from accounts.service import Accounts, person_actor
from accounts.tokens import SESSION_SHAPE, token_hash
from infra.http_errors import BadRequest, Forbidden, Unauthorized
from licences.http import NO_LICENCE_EN, NO_LICENCE_FR, OperatorCaller
from licences.store import LicenceStore, Principal, PrincipalKind, Role
from schemas.accounts import CredentialDoc, MemberDoc, SessionDoc, SessionSeenDoc, UserDoc

SECONDS_CACHED = 2.0
MAX_CACHED = 100_000
SEEN_EVERY = timedelta(minutes=1)
"""How often a session's last use is recorded at most (a tenth of the idle limit when that is
shorter): the idle limit is exact to this."""


def _ended(code: str, fr: str, en: str) -> Unauthorized:
    return Unauthorized(code, f"{fr} Reconnectez-vous.", f"{en} Sign in again.")


UNKNOWN = ("session_unknown", "Session inconnue ou terminée.", "Unknown or ended session.")


@dataclass(frozen=True)
class Signed:
    """A session checked, before any licence is chosen."""

    session_hash: str
    session: SessionDoc
    user: UserDoc
    seen_at: datetime


class SessionResolver:
    def __init__(self, accounts: Accounts, licences: LicenceStore) -> None:
        self._accounts = accounts
        self._licences = licences
        self._cache: TTLCache[tuple[str, str | None], Principal] = TTLCache(
            MAX_CACHED, SECONDS_CACHED
        )
        accounts.on_change(self.forget)

    def forget(self, user_id: str) -> None:
        """Drop what this process keeps of the person's sessions (a role changed, signed out)."""
        for key, principal in list(self._cache.items()):
            if principal.user_id == user_id:
                self._cache.pop(key, None)

    async def signed(self, token: str) -> Signed:
        """The session and its person; Unauthorized when it is not (or no longer) valid."""
        if not SESSION_SHAPE.match(token):
            raise _ended(*UNKNOWN)
        session_hash = token_hash(token)
        store = self._accounts.store
        if session_hash in self._accounts.revoked:
            raise _ended(*UNKNOWN)
        found = await store.session(session_hash) or self._accounts.opened.get(session_hash)
        if found is None:
            raise _ended(*UNKNOWN)
        session = found.doc(SessionDoc)
        now = datetime.now(UTC)
        if now >= session.expires_at:
            raise _ended(
                "session_expired",
                "Votre session a expiré (durée maximale atteinte).",
                "Your session has expired (its longest duration was reached).",
            )
        seen = await store.seen(session_hash)
        seen_at = seen.doc(SessionSeenDoc).seen_at if seen else session.created_at
        idle = self._accounts.policy.session_idle
        if now - seen_at >= idle:
            raise _ended(
                "session_idle",
                "Votre session a expiré après une période d’inactivité.",
                "Your session expired after a period of inactivity.",
            )
        credential = await store.credential(session.user_id)
        after = credential.doc(CredentialDoc).sessions_after if credential else None
        user = await store.user(session.user_id)
        if user is None or (after is not None and session.created_at < after):
            raise _ended(*UNKNOWN)
        if now - seen_at >= min(SEEN_EVERY, idle / 10):
            self._accounts.in_background(
                self._accounts.seen(session_hash, seen, user.user_id), "session_seen"
            )
            seen_at = now
        return Signed(session_hash, session, user, seen_at)

    async def principal(self, token: str, licence_id: str | None) -> Principal:
        key = (token_hash(token), licence_id)
        cached = self._cache.get(key)
        if cached is not None and key[0] not in self._accounts.revoked:
            return cached
        signed = await self.signed(token)
        principal = await self._in_licence(signed.user, licence_id)
        self._cache[key] = principal
        return principal

    async def _in_licence(self, user: UserDoc, licence_id: str | None) -> Principal:
        store = self._accounts.store
        contact = self._accounts.policy.contact_url
        if licence_id is None:
            held = [h for h in await store.licences_of(user.user_id) if h.status == "active"]
            if not held:
                raise Forbidden("no_licence", NO_LICENCE_FR, NO_LICENCE_EN, contact_url=contact)
            if len(held) > 1:
                raise BadRequest(
                    "licence_required",
                    "Vous avez plusieurs licences : choisissez-en une (en-tête X-ERO-Licence).",
                    "You hold several licences: choose one (header X-ERO-Licence).",
                )
            licence_id = held[0].licence_id
        member = await store.member(licence_id, user.user_id)
        record = await self._licences.record(licence_id)
        if record is None or (member is None and not user.operator):
            raise Forbidden(
                "licence_not_held",
                "Cette licence n’est pas l’une des vôtres.",
                "This licence is not one of yours.",
            )
        if record.status != "active":
            raise Forbidden("no_licence", NO_LICENCE_FR, NO_LICENCE_EN, contact_url=contact)
        role = Role(member.doc(MemberDoc).role) if member else Role.VIEWER
        return Principal(
            licence_id=licence_id,
            kind=PrincipalKind.SESSION,
            status=record.status,
            role=role,
            actor=person_actor(user),
            user_id=user.user_id,
        )

    async def operator(self, token: str) -> OperatorCaller | None:
        signed = await self.signed(token)
        return OperatorCaller(person_actor(signed.user)) if signed.user.operator else None
