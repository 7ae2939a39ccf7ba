"""What people do with their accounts, as control commands (docs/decisions/0009).

Each change is appended to the control topic and awaited until projected, under a lock of this
process per account (or per e-mail address while it has no account): a link is used once, one
address makes one account. E-mails are sent after the change is recorded, in the background
when the answer must not depend on them (sign-up, forgotten password: no enumeration).
"""

from __future__ import annotations

import asyncio
import uuid
import weakref
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from cachetools import TTLCache

from accounts import messages, totp
from accounts.config import CREATE_LINK_TTL, RESET_LINK_TTL, AccountPolicy
from accounts.password_policy import Owner, failed_rules, normalise
from accounts.passwords import hash_password, needs_rehash, verify_password
from accounts.store import AccountStore, email_key
from accounts.throttle import SignInThrottle
from accounts.tokens import (
    new_link_token,
    new_recovery_code,
    new_session_token,
    recovery_hash,
    token_hash,
)
from control_plane.bus import ControlBus, new_event
from control_plane.store import Revision
from infra.mail import Mail, Mailer, MailUnavailable
from schemas.accounts import (
    ACCOUNTS,
    CredentialDoc,
    LinkDoc,
    LinkPurpose,
    LoginDoc,
    MemberDoc,
    PolicyRule,
    RoleName,
    SessionAnswer,
    SessionDoc,
    SessionSeenDoc,
    UserDoc,
)
from schemas.control import ControlEvent, ControlKind, Document, Entity

log = structlog.get_logger(__name__)

RECOVERY_CODES = 10
REVOKED_SECONDS = 60.0
"""How long this process remembers the sessions it opened or revoked: far longer than the
projection takes to show them."""
SYSTEM = "system"


def person_actor(user: UserDoc) -> str:
    """How the audit trail names a person."""
    return f"{user.name} <{user.email}>" if user.name else user.email


class LinkGone(Exception):
    """The link is unknown, used or expired."""


class PolicyFailed(Exception):
    def __init__(self, rules: list[PolicyRule]) -> None:
        super().__init__(", ".join(rule.code for rule in rules))
        self.rules = rules


class InvalidCredentials(Exception):
    """Wrong e-mail or password: one error for both."""


class TotpRequired(Exception):
    pass


class TotpInvalid(Exception):
    pass


class LastOwner(Exception):
    """The change would leave the licence without an owner."""


class Throttled(Exception):
    def __init__(self, seconds: int) -> None:
        super().__init__(f"retry in {seconds} s")
        self.seconds = seconds


@dataclass(frozen=True)
class _Change:
    kind: ControlKind
    entity: Entity
    entity_id: str
    after: Document
    before: Revision | None
    licence_id: str = ACCOUNTS
    deleted: bool = False


def _credential(user: UserDoc, updated: CredentialDoc, before: Revision | None) -> _Change:
    return _Change("credential.updated", Entity.CREDENTIAL, user.user_id, updated, before)


class Accounts:
    def __init__(
        self,
        bus: ControlBus,
        store: AccountStore,
        mailer: Mailer,
        policy: AccountPolicy,
        throttle: SignInThrottle,
    ) -> None:
        self._bus = bus
        self.store = store
        self._mailer = mailer
        self.policy = policy
        self.throttle = throttle
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._background: set[asyncio.Task[None]] = set()
        self._listeners: list[Callable[[str], None]] = []
        self._signup_hooks: list[Callable[[UserDoc], Awaitable[None]]] = []
        self.revoked: TTLCache[str, bool] = TTLCache(100_000, REVOKED_SECONDS)
        """Session hashes revoked by this process, while the projection may not show it yet."""
        self.opened: TTLCache[str, Revision] = TTLCache(100_000, REVOKED_SECONDS)
        """Sessions opened by this process, while the projection may not show them yet."""

    # The mechanics ---------------------------------------------------------------------------

    def on_signup(self, hook: Callable[[UserDoc], Awaitable[None]]) -> None:
        """`hook(user)` runs when someone signs up for an account that has no password yet,
        before its link is e-mailed (the demo licence's owner, ero/demo.py)."""
        self._signup_hooks.append(hook)

    def on_change(self, listener: Callable[[str], None]) -> None:
        """`listener(user_id)` is called once a person's roles, operator flag or sessions
        changed in this process (the session cache forgets them)."""
        self._listeners.append(listener)

    def _changed(self, user_id: str) -> None:
        for listener in self._listeners:
            listener(user_id)

    def _lock(self, key: str) -> asyncio.Lock:
        lock = self._locks.get(key)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[key] = lock
        return lock

    async def _record(
        self, actor: str, changes: Sequence[_Change], wait: bool = True
    ) -> list[ControlEvent]:
        events: list[ControlEvent] = [
            new_event(
                licence_id=change.licence_id,
                kind=change.kind,
                actor=actor,
                entity=change.entity,
                entity_id=change.entity_id,
                after=change.after,
                before=change.before,
                deleted=change.deleted,
            )
            for change in changes
        ]
        # Not yet projected after the bus's timeout: the change is in the log and will apply;
        # what follows reads the state as it is (the bus logs the delay).
        await (self._bus.commit(events) if wait else self._bus.send(events))
        return events

    def in_background(self, work: Coroutine[Any, Any, None], what: str) -> None:
        """Run `work` after the answer; a failure is logged, never lost silently."""

        async def guarded() -> None:
            try:
                await work
            except Exception:
                log.exception("account_background_failed", what=what)

        task = asyncio.get_running_loop().create_task(guarded())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _send(self, mail: Mail, kind: str) -> None:
        try:
            await self._mailer.send(mail)
            log.info("account_mail_sent", kind=kind)
        except MailUnavailable as exc:
            log.warning("account_mail_failed", kind=kind, error=str(exc))

    async def _create_user(
        self, email: str, name: str | None, shop_name: str | None, actor: str
    ) -> UserDoc:
        user = UserDoc(
            user_id=str(uuid.uuid4()),
            email=email.strip(),
            name=name,
            shop_name=shop_name,
            created_at=datetime.now(UTC),
        )
        login = await self.store.control.one(ACCOUNTS, Entity.LOGIN, email_key(email))
        await self._record(
            actor,
            [
                _Change("user.created", Entity.USER, user.user_id, user, None),
                _Change(
                    "login.bound",
                    Entity.LOGIN,
                    email_key(email),
                    LoginDoc(user_id=user.user_id),
                    login,
                ),
            ],
        )
        return user

    async def _issue_link(
        self, user: UserDoc, purpose: LinkPurpose, actor: str
    ) -> tuple[str, LinkDoc]:
        token = new_link_token()
        ttl = CREATE_LINK_TTL if purpose == "create" else RESET_LINK_TTL
        link = LinkDoc(user_id=user.user_id, purpose=purpose, expires_at=datetime.now(UTC) + ttl)
        await self._record(
            actor, [_Change("link.issued", Entity.LINK, token_hash(token), link, None)]
        )
        return token, link

    async def _mail_link(
        self,
        user: UserDoc,
        purpose: LinkPurpose,
        actor: str,
        *,
        licence_name: str | None = None,
        inviter: str | None = None,
    ) -> None:
        token, link = await self._issue_link(user, purpose, actor)
        url = f"{self.policy.page('mot-de-passe')}?jeton={token}"
        await self._send(
            messages.password_link(
                user.email,
                user.name,
                url,
                purpose,
                link.expires_at,
                licence_name=licence_name,
                inviter=inviter,
            ),
            f"password_{purpose}",
        )

    # Sign-up, links, passwords ---------------------------------------------------------------

    async def signup(self, email: str, name: str | None, shop_name: str | None) -> None:
        """A new account gets a create-password link; an account that never created its
        password gets a new one; an account with a password is told it exists. Meant to run
        in the background: the caller's answer is the same in every case."""
        async with self._lock(f"email:{email_key(email)}"):
            user = await self.store.user_by_email(email)
            if user is None:
                user = await self._create_user(email, name, shop_name, SYSTEM)
        if (await self.store.secrets(user.user_id)).password_hash is None:
            for hook in self._signup_hooks:
                await hook(user)
            await self._mail_link(user, "create", SYSTEM)
        else:
            await self._send(
                messages.already_registered(
                    user.email, self.policy.page("connexion"), self.policy.page("oubli")
                ),
                "already_registered",
            )

    async def forgot(self, email: str) -> None:
        """A reset link (1 hour) to an account with a password, a create link to one without;
        nothing to an address with no account (no mail to strangers)."""
        user = await self.store.user_by_email(email)
        if user is None:
            return
        has_password = (await self.store.secrets(user.user_id)).password_hash is not None
        await self._mail_link(user, "reset" if has_password else "create", SYSTEM)

    async def invite(
        self,
        email: str,
        *,
        actor: str,
        name: str | None = None,
        licence_name: str | None = None,
        inviter: str | None = None,
        role: RoleName | None = None,
    ) -> UserDoc:
        """The account of `email`, created if none. A new account, or one that never created
        its password, is e-mailed a create-password link (7 days; an invitation when
        `licence_name` is given); an existing one is told of the licence it now holds."""
        async with self._lock(f"email:{email_key(email)}"):
            user = await self.store.user_by_email(email)
            if user is None:
                user = await self._create_user(email, name, None, actor)
        if (await self.store.secrets(user.user_id)).password_hash is None:
            await self._mail_link(user, "create", actor, licence_name=licence_name, inviter=inviter)
        elif licence_name is not None:
            await self._send(
                messages.licence_attached(
                    user.email, user.name, licence_name, role or "member",
                    self.policy.page("connexion"),
                ),
                "licence_attached",
            )  # fmt: skip
        return user

    async def _valid_link(self, token: str) -> tuple[Revision, LinkDoc, UserDoc]:
        found = await self.store.link(token_hash(token))
        if found is None:
            raise LinkGone()
        link = found.doc(LinkDoc)
        user = await self.store.user(link.user_id)
        if link.used_at is not None or link.expires_at <= datetime.now(UTC) or user is None:
            raise LinkGone()
        return found, link, user

    async def link_state(self, token: str) -> tuple[LinkDoc, UserDoc]:
        _, link, user = await self._valid_link(token)
        return link, user

    async def check_password(self, password: str, token: str | None) -> list[PolicyRule]:
        owner = Owner()
        if token is not None:
            try:
                _, _, user = await self._valid_link(token)
                owner = Owner(user.email, user.shop_name, user.name)
            except LinkGone:
                pass
        return await asyncio.to_thread(failed_rules, password, owner)

    async def _new_credential(
        self, user: UserDoc, password: str, current: CredentialDoc
    ) -> CredentialDoc:
        failed = await asyncio.to_thread(
            failed_rules, password, Owner(user.email, user.shop_name, user.name)
        )
        if failed:
            raise PolicyFailed(failed)
        return current.model_copy(
            update={
                "password_hash": await hash_password(normalise(password)),
                "sessions_after": datetime.now(UTC),
            }
        )

    async def set_password(self, token: str, password: str) -> None:
        """From a link: the password is set, the link used, every session of the account
        revoked. Raises LinkGone, PolicyFailed."""
        found, link, user = await self._valid_link(token)
        async with self._lock(f"user:{user.user_id}"):
            found, link, user = await self._valid_link(token)  # used meanwhile: gone
            credential = await self.store.credential(user.user_id)
            current = credential.doc(CredentialDoc) if credential else CredentialDoc()
            updated = await self._new_credential(user, password, current)
            used = link.model_copy(update={"used_at": datetime.now(UTC)})
            actor = person_actor(user)
            await self._record(
                actor,
                [
                    _credential(user, updated, credential),
                    _Change("link.used", Entity.LINK, found.entity_id, used, found),
                ],
            )  # fmt: skip
        self._changed(user.user_id)
        if current.password_hash is not None:
            await self._send(
                messages.password_changed(user.email, datetime.now(UTC), self.policy.page("oubli")),
                "password_changed",
            )

    # Signing in and out ----------------------------------------------------------------------

    async def _open_session(
        self, user: UserDoc, address: str, extra: Sequence[_Change]
    ) -> SessionAnswer:
        token = new_session_token()
        now = datetime.now(UTC)
        session = SessionDoc(
            user_id=user.user_id,
            created_at=now,
            expires_at=now + self.policy.session_absolute,
            address=address,
        )
        # Not awaited until projected (0.7 s here, on every sign-in): this process knows the
        # session at once, the others once projected. What `extra` records (a TOTP step, a
        # recovery code used) is awaited: a code must not be accepted twice meanwhile.
        opened = _Change("session.opened", Entity.SESSION, token_hash(token), session, None)
        if extra:
            await self._record(person_actor(user), extra)
        (event,) = await self._record(person_actor(user), [opened], wait=False)
        self.opened[token_hash(token)] = Revision.written_by(event)
        return SessionAnswer(
            session_token=token,
            expires_at=session.expires_at,
            licences=await self.store.licences_of(user.user_id),
        )

    async def _second_factor(
        self, user: UserDoc, address: str, current: CredentialDoc, code: str | None
    ) -> CredentialDoc | None:
        """The credential to record once the code is accepted (its step or recovery code now
        used); None when the account has no second factor."""
        if current.totp_secret is None:
            return None
        if not code:
            raise TotpRequired()
        step = totp.matching_step(current.totp_secret, code, current.totp_last_step)
        if step is not None:
            return current.model_copy(update={"totp_last_step": step})
        hashed = recovery_hash(code)
        if hashed in current.recovery_hashes:
            left = tuple(h for h in current.recovery_hashes if h != hashed)
            return current.model_copy(update={"recovery_hashes": left})
        self._failed(user.email, address, user)
        raise TotpInvalid()

    def _failed(self, email: str, address: str, user: UserDoc | None) -> None:
        if self.throttle.failed(email_key(email), address) and user is not None:
            self.in_background(
                self._send(
                    messages.failed_sign_ins(
                        user.email, self.throttle.notify_after, address, datetime.now(UTC),
                        self.policy.page("oubli"),
                    ),
                    "failed_sign_ins",
                ),
                "failed_sign_ins",
            )  # fmt: skip

    async def login(
        self, email: str, password: str, code: str | None, address: str
    ) -> SessionAnswer:
        """Raises Throttled, InvalidCredentials (wrong e-mail or password alike, at the same
        cost), TotpRequired, TotpInvalid."""
        wait = self.throttle.wait(email_key(email), address)
        if wait is not None:
            raise Throttled(wait)
        user = await self.store.user_by_email(email)
        credential = await self.store.credential(user.user_id) if user else None
        current = credential.doc(CredentialDoc) if credential else CredentialDoc()
        if not await verify_password(current.password_hash, normalise(password)) or user is None:
            self._failed(email, address, user)
            raise InvalidCredentials()
        async with self._lock(f"user:{user.user_id}"):
            updated = await self._second_factor(user, address, current, code)
            self.throttle.succeeded(email_key(email), address)
            assert current.password_hash is not None
            if needs_rehash(current.password_hash):
                rehashed = await hash_password(normalise(password))
                updated = (updated or current).model_copy(update={"password_hash": rehashed})
            extra = []
            if updated is not None:
                extra.append(
                    _credential(user, updated, credential)
                )  # fmt: skip
            return await self._open_session(user, address, extra)

    async def logout(self, session_hash: str, user: UserDoc) -> None:
        found = await self.store.session(session_hash) or self.opened.get(session_hash)
        self.revoked[session_hash] = True
        if found is None:
            return
        ended = found.doc(SessionDoc).model_copy(update={"revoked_at": datetime.now(UTC)})
        await self._record(
            person_actor(user),
            [_Change("session.revoked", Entity.SESSION, session_hash, ended, found, deleted=True)],
        )
        self._changed(user.user_id)

    async def seen(self, session_hash: str, before: Revision | None, user_id: str) -> None:
        """Note that the session was used (at most once a minute: sessions.py); not awaited
        until projected, nobody waits on it."""
        doc = SessionSeenDoc(seen_at=datetime.now(UTC))
        await self._record(
            f"session:{user_id}",
            [_Change("session.seen", Entity.SESSION_SEEN, session_hash, doc, before)],
            wait=False,
        )

    async def change_password(
        self, user: UserDoc, current_password: str, new_password: str, address: str
    ) -> SessionAnswer:
        """The current password checked (and throttled as a sign-in), the new one set; every
        session revoked and a new one opened for the caller. Raises Throttled,
        InvalidCredentials, PolicyFailed."""
        wait = self.throttle.wait(email_key(user.email), address)
        if wait is not None:
            raise Throttled(wait)
        async with self._lock(f"user:{user.user_id}"):
            credential = await self.store.credential(user.user_id)
            current = credential.doc(CredentialDoc) if credential else CredentialDoc()
            if not await verify_password(current.password_hash, normalise(current_password)):
                self._failed(user.email, address, user)
                raise InvalidCredentials()
            updated = await self._new_credential(user, new_password, current)
            answer = await self._open_session(
                user,
                address,
                [_credential(user, updated, credential)],
            )  # fmt: skip
        self._changed(user.user_id)
        await self._send(
            messages.password_changed(user.email, datetime.now(UTC), self.policy.page("oubli")),
            "password_changed",
        )
        return answer

    # Second factor ---------------------------------------------------------------------------

    async def _update_credential(self, user: UserDoc, **changes: Any) -> None:
        credential = await self.store.credential(user.user_id)
        current = credential.doc(CredentialDoc) if credential else CredentialDoc()
        updated = current.model_copy(update=changes)
        await self._record(person_actor(user), [_credential(user, updated, credential)])

    async def totp_setup(self, user: UserDoc) -> str:
        """A new secret, pending until a code from it is confirmed."""
        secret = totp.new_secret()
        async with self._lock(f"user:{user.user_id}"):
            await self._update_credential(user, totp_pending=secret)
        return secret

    async def totp_enable(self, user: UserDoc, code: str) -> list[str] | None:
        """The recovery codes, once a code of the pending secret is confirmed; None if not."""
        async with self._lock(f"user:{user.user_id}"):
            current = await self.store.secrets(user.user_id)
            if current.totp_pending is None:
                return None
            step = totp.matching_step(current.totp_pending, code, None)
            if step is None:
                return None
            codes = [new_recovery_code() for _ in range(RECOVERY_CODES)]
            await self._update_credential(
                user,
                totp_secret=current.totp_pending,
                totp_pending=None,
                totp_last_step=step,
                recovery_hashes=tuple(recovery_hash(code) for code in codes),
            )
        return codes

    async def totp_disable(self, user: UserDoc, password: str, address: str) -> None:
        """Raises Throttled, InvalidCredentials."""
        wait = self.throttle.wait(email_key(user.email), address)
        if wait is not None:
            raise Throttled(wait)
        async with self._lock(f"user:{user.user_id}"):
            current = await self.store.secrets(user.user_id)
            if not await verify_password(current.password_hash, normalise(password)):
                self._failed(user.email, address, user)
                raise InvalidCredentials()
            await self._update_credential(
                user, totp_secret=None, totp_pending=None, totp_last_step=None, recovery_hashes=()
            )

    # Licences and teams ----------------------------------------------------------------------

    async def _keeps_an_owner(self, licence_id: str, user_id: str) -> None:
        """Raises LastOwner if `user_id` is the licence's only owner: called under the
        licence's lock, before a change that takes that role from them, so two owners
        demoting each other at once cannot both succeed."""
        rows = await self.store.control.current([licence_id], Entity.MEMBER)
        owners = {
            row.entity_id for row in rows if not row.deleted and row.doc(MemberDoc).role == "owner"
        }
        if owners == {user_id}:
            raise LastOwner()

    async def set_member(
        self, licence_id: str, user: UserDoc, role: RoleName, actor: str
    ) -> MemberDoc:
        """Add `user` to the licence's team with `role`, or change their role (LastOwner if
        that demotes the licence's only owner); returns the membership recorded."""
        async with self._bus.lock(licence_id):
            if role != "owner":
                await self._keeps_an_owner(licence_id, user.user_id)
            before = await self.store.control.one(licence_id, Entity.MEMBER, user.user_id)
            doc = MemberDoc(user_id=user.user_id, role=role, added_by=actor)
            kind: ControlKind = (
                "member.updated" if before and not before.deleted else "member.added"
            )
            await self._record(
                actor, [_Change(kind, Entity.MEMBER, user.user_id, doc, before, licence_id)]
            )
        self._changed(user.user_id)
        return doc

    async def remove_member(self, licence_id: str, user_id: str, actor: str) -> None:
        """LastOwner if `user_id` is the licence's only owner."""
        async with self._bus.lock(licence_id):
            before = await self.store.member(licence_id, user_id)
            if before is None:
                return
            await self._keeps_an_owner(licence_id, user_id)
            await self._record(
                actor,
                [
                    _Change(
                        "member.removed", Entity.MEMBER, user_id, before.doc(MemberDoc), before,
                        licence_id, deleted=True,
                    )
                ],
            )  # fmt: skip
        self._changed(user_id)

    async def set_operator(self, user: UserDoc, actor: str) -> UserDoc:
        async with self._lock(f"user:{user.user_id}"):
            before = await self.store.user_revision(user.user_id)
            doc = user.model_copy(update={"operator": True})
            await self._record(
                actor, [_Change("user.updated", Entity.USER, user.user_id, doc, before)]
            )
        self._changed(user.user_id)
        return doc
