"""Licences in ClickHouse; keys stored only as SHA-256 hashes, resolved through a short cache.

A licence holds connector keys and reader tokens, each with a public id (`key_id`, what the
account page shows and revokes by), a name and, for a token, a role. A revoked key is refused
at once by the process that revoked it, and by the others within the cache's `hit_ttl`.

Keys are 256-bit random tokens, so a plain SHA-256 is the right hash: no brute force can reach
them, and a lookup costs one hash, not a key-stretching function per request.

Known keys and unknown ones are cached apart, each bounded (least recently used evicted first)
and expiring (TTL): a flood of random tokens evicts only other unknown tokens, never the
licences being served; a token not shaped like a key is refused without any lookup.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
import threading
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

from cachetools import TTLCache
from pydantic import BaseModel, Field

from infra.clickhouse import ClickHouse
from schemas.accounts import RoleName
from schemas.control import LicenceDoc


class PrincipalKind(StrEnum):
    CONNECTOR = "connector"
    READER = "reader"
    SESSION = "session"
    """A person signed in with e-mail and password (accounts/), acting in one licence."""


class Role(StrEnum):
    """What a person may do in a licence, each role including the ones below it."""

    VIEWER = "viewer"
    """Reads everything of the licence, changes nothing."""
    MEMBER = "member"
    """Also reports, configurations, remote actions, tickets."""
    OWNER = "owner"
    """Also the team, the keys and the licence's settings (account, PC key)."""

    def allows(self, needed: Role) -> bool:
        return _RANKS[self] >= _RANKS[needed]


_RANKS = {Role.VIEWER: 0, Role.MEMBER: 1, Role.OWNER: 2}


_PREFIX = {PrincipalKind.CONNECTOR: "eck_", PrincipalKind.READER: "ert_"}
# What _new_key makes: a prefix, then 32 random bytes in URL-safe base64 (43 characters).
_KEY_SHAPE = re.compile(r"^(?:eck|ert)_[A-Za-z0-9_-]{43}$")


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a licence, as what, with which role, and who to name in the history."""

    licence_id: str
    kind: PrincipalKind
    status: str
    role: Role = Role.OWNER
    """A licence's reader token acts as its owner; a person as their membership says."""
    actor: str = "reader"
    """Who the audit trail names: "Name <e-mail>" for a person, "reader" for a token
    ("reader:<its name>" for a named one)."""
    user_id: str | None = None


class Credentials(BaseModel):
    licence_id: str
    connector_key: str
    reader_token: str


KeyKind = Literal["connector", "token"]
"""What the account page calls them: a connector key (eck_), a reader token (ert_)."""
_KEY_KINDS: dict[KeyKind, PrincipalKind] = {
    "connector": PrincipalKind.CONNECTOR,
    "token": PrincipalKind.READER,
}


class KeyInfo(BaseModel):
    """A key as its licence's owner sees it: never the key, never its hash."""

    key_id: str = Field(description="Public and stable: what the page shows and revokes by.")
    kind: KeyKind
    name: str | None
    role: RoleName | None = Field(
        description="A token's role in the licence; None for a connector key."
    )
    created_at: datetime
    revoked_at: datetime | None


class NewKey(KeyInfo):
    key: str = Field(description="Shown this once: only its hash is stored.")


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _new_key(kind: PrincipalKind) -> str:
    return _PREFIX[kind] + secrets.token_urlsafe(32)


def _now() -> datetime:
    """Now, to the millisecond the table keeps: what a key's answer shows is what is stored."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _new_key_id() -> str:
    # As long as the id m0042 derives for a key made before it: 12 hex digits.
    return secrets.token_hex(6)


@dataclass(frozen=True)
class _KeyRow:
    """One row of licence_keys."""

    key_hash: str
    key_id: str
    licence_id: str
    kind: PrincipalKind
    name: str
    role: Role
    """A token's role; a connector key's is stored but never asked (it only sends events)."""
    created_at: datetime
    revoked_at: datetime | None = None

    def info(self) -> KeyInfo:
        token = self.kind is PrincipalKind.READER
        return KeyInfo(
            key_id=self.key_id,
            kind="token" if token else "connector",
            name=self.name or None,
            role=self.role.value if token else None,
            created_at=self.created_at,
            revoked_at=self.revoked_at,
        )


_KEY_COLUMNS = (
    "key_hash",
    "key_id",
    "licence_id",
    "kind",
    "name",
    "role",
    "created_at",
    "revoked_at",
)


def _key_row(row: tuple[Any, ...]) -> _KeyRow:
    key_hash, key_id, licence_id, kind, name, role, created_at, revoked_at = row
    return _KeyRow(
        key_hash, key_id, licence_id, PrincipalKind(kind), name, Role(role), created_at, revoked_at
    )


@dataclass(frozen=True)
class KeyCache:
    """How long and how many answers of key lookups a process keeps."""

    hit_ttl: float = 30.0
    """A known key's licence and status: a status change or a key's revocation elsewhere
    applies within this."""
    miss_ttl: float = 2.0
    """An unknown key: a licence created by another process is served within this."""
    max_hits: int = 100_000
    max_misses: int = 10_000


class LicenceStore:
    def __init__(self, clickhouse: ClickHouse, cache: KeyCache = KeyCache()) -> None:
        self._clickhouse = clickhouse
        self._hits: TTLCache[str, Principal] = TTLCache(cache.max_hits, cache.hit_ttl)
        self._misses: TTLCache[str, bool] = TTLCache(cache.max_misses, cache.miss_ttl)
        # create() runs in a worker thread, authenticate() on the loop: cachetools needs a lock.
        self._cache_lock = threading.Lock()

    def create(self, name: str) -> Credentials:
        """A licence with its first connector key and its first reader token, an owner's (a
        script holding it does what the licence's owner may)."""
        licence_id = str(uuid.uuid4())
        now = datetime.now(UTC)
        credentials = Credentials(
            licence_id=licence_id,
            connector_key=_new_key(PrincipalKind.CONNECTOR),
            reader_token=_new_key(PrincipalKind.READER),
        )
        self._clickhouse.insert_columns(
            "licences",
            ("licence_id", "name", "status", "created_at", "updated_at"),
            ([licence_id], [name], ["active"], [now], [now]),
        )
        self._insert_keys(
            [
                _KeyRow(hash_key(key), _new_key_id(), licence_id, kind, "", Role.OWNER, now)
                for key, kind in (
                    (credentials.connector_key, PrincipalKind.CONNECTOR),
                    (credentials.reader_token, PrincipalKind.READER),
                )
            ]
        )
        return credentials

    def _insert_keys(self, rows: list[_KeyRow]) -> None:
        self._clickhouse.insert_columns(
            "licence_keys",
            _KEY_COLUMNS,
            (
                [row.key_hash for row in rows],
                [row.key_id for row in rows],
                [row.licence_id for row in rows],
                [row.kind.value for row in rows],
                [row.name for row in rows],
                [row.role.value for row in rows],
                [row.created_at for row in rows],
                [row.revoked_at for row in rows],
            ),
        )
        with self._cache_lock:
            for row in rows:
                # A key refused just before it existed works at once; a revoked one is refused.
                self._misses.pop(row.key_hash, None)
                if row.revoked_at is not None:
                    self._hits.pop(row.key_hash, None)

    async def keys(self, licence_id: str) -> list[KeyInfo]:
        """The licence's keys, revoked ones included, oldest first."""
        return [row.info() for row in await self._key_rows(licence_id)]

    async def _key_rows(self, licence_id: str, key_id: str | None = None) -> list[_KeyRow]:
        """The licence's keys, or its key `key_id` (none, or one)."""
        parameters = {"licence_id": licence_id}
        one = ""
        if key_id is not None:
            one = "AND key_id = {key_id:String}"
            parameters["key_id"] = key_id
        rows = await self._clickhouse.arows(
            f"SELECT {', '.join(_KEY_COLUMNS)} FROM licence_keys FINAL "
            f"WHERE licence_id = {{licence_id:String}} {one} ORDER BY created_at, key_id",
            parameters,
        )
        return [_key_row(row) for row in rows]

    async def create_key(
        self, licence_id: str, kind: KeyKind, name: str | None, role: Role
    ) -> NewKey:
        principal_kind = _KEY_KINDS[kind]
        key = _new_key(principal_kind)
        row = _KeyRow(
            hash_key(key), _new_key_id(), licence_id, principal_kind, name or "", role, _now()
        )
        await asyncio.to_thread(self._insert_keys, [row])
        return NewKey(**row.info().model_dump(), key=key)

    async def revoke_key(self, licence_id: str, key_id: str) -> KeyInfo | None:
        """Revoke one of the licence's keys (again: nothing changes); None if it has no such
        key. Its row is written again with `revoked_at`, its version (`created_at`) unchanged."""
        found = await self._key_rows(licence_id, key_id)
        if not found:
            return None
        row = found[0]
        if row.revoked_at is None:
            row = replace(row, revoked_at=_now())
            await asyncio.to_thread(self._insert_keys, [row])
        return row.info()

    def count(self) -> int:
        return int(self._clickhouse.rows("SELECT count() FROM licences FINAL")[0][0])

    async def record(self, licence_id: str) -> LicenceDoc | None:
        rows = await self._clickhouse.arows(
            "SELECT licence_id, name, status, created_at, updated_at FROM licences FINAL "
            "WHERE licence_id = {licence_id:String}",
            {"licence_id": licence_id},
        )
        if not rows:
            return None
        licence_id, name, status, created_at, updated_at = rows[0]
        return LicenceDoc(
            licence_id=licence_id,
            name=name,
            status=status,
            created_at=created_at,
            updated_at=updated_at,
        )

    def forget(self, licence_id: str) -> None:
        """Drop the licence's cached principals: a status change applies at once in this process
        (other processes see it when their cache entry expires, within `hit_ttl`)."""
        with self._cache_lock:
            for key_hash, principal in list(self._hits.items()):
                if principal.licence_id == licence_id:
                    self._hits.pop(key_hash, None)

    def _lookup(self, key_hash: str) -> Principal | None:
        # revoked_at is read, not filtered on: a filter could be applied to the rows before
        # FINAL keeps the newest, and find the key's row from before its revocation.
        rows = self._clickhouse.rows(
            """
            SELECT k.licence_id, k.kind, k.role, k.name, k.revoked_at, l.status
            FROM licence_keys AS k FINAL
            INNER JOIN (SELECT licence_id, status FROM licences FINAL) AS l
                ON l.licence_id = k.licence_id
            WHERE k.key_hash = {key_hash:String}
            """,
            {"key_hash": key_hash},
        )
        if not rows:
            return None
        licence_id, kind, role, name, revoked_at, status = rows[0]
        if revoked_at is not None:
            return None
        return Principal(
            licence_id=licence_id,
            kind=PrincipalKind(kind),
            status=status,
            role=Role(role),
            actor=f"reader:{name}" if name else "reader",
        )

    async def authenticate(self, key: str) -> Principal | None:
        """The key's principal, or None for a key of no licence (one ClickHouse lookup per
        key and TTL at most; none for a token that is not shaped like a key)."""
        if not _KEY_SHAPE.match(key):
            return None
        key_hash = hash_key(key)
        with self._cache_lock:
            principal = self._hits.get(key_hash)
            if principal is not None or key_hash in self._misses:
                return principal
        principal = await asyncio.to_thread(self._lookup, key_hash)
        with self._cache_lock:
            if principal is None:
                self._misses[key_hash] = True
            else:
                self._hits[key_hash] = principal
        return principal
