"""Licences in ClickHouse; keys stored only as SHA-256 hashes, resolved through a short cache.

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
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from cachetools import TTLCache
from pydantic import BaseModel

from infra.clickhouse import ClickHouse
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
    """Who the audit trail names: "Name <e-mail>" for a person, "reader" for a token."""
    user_id: str | None = None


class Credentials(BaseModel):
    licence_id: str
    connector_key: str
    reader_token: str


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _new_key(kind: PrincipalKind) -> str:
    return _PREFIX[kind] + secrets.token_urlsafe(32)


@dataclass(frozen=True)
class KeyCache:
    """How long and how many answers of key lookups a process keeps."""

    hit_ttl: float = 30.0
    """A known key's licence and status: a status change elsewhere applies within this."""
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
        self._clickhouse.insert_columns(
            "licence_keys",
            ("key_hash", "licence_id", "kind", "created_at"),
            (
                [hash_key(credentials.connector_key), hash_key(credentials.reader_token)],
                [licence_id, licence_id],
                [PrincipalKind.CONNECTOR.value, PrincipalKind.READER.value],
                [now, now],
            ),
        )
        with self._cache_lock:  # a key refused just before its licence existed works at once
            for key in (credentials.connector_key, credentials.reader_token):
                self._misses.pop(hash_key(key), None)
        return credentials

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
        rows = self._clickhouse.rows(
            """
            SELECT k.licence_id, k.kind, l.status
            FROM licence_keys AS k FINAL
            INNER JOIN (SELECT licence_id, status FROM licences FINAL) AS l
                ON l.licence_id = k.licence_id
            WHERE k.key_hash = {key_hash:String}
            """,
            {"key_hash": key_hash},
        )
        if not rows:
            return None
        licence_id, kind, status = rows[0]
        return Principal(licence_id=licence_id, kind=PrincipalKind(kind), status=status)

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
