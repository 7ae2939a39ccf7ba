"""Licences in ClickHouse; keys stored only as SHA-256 hashes, resolved through a short cache.

Keys are 256-bit random tokens, so a plain SHA-256 is the right hash: no brute force can reach
them, and a lookup costs one hash, not a key-stretching function per request.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from pydantic import BaseModel

from infra.clickhouse import ClickHouse
from schemas.control import LicenceDoc


class PrincipalKind(StrEnum):
    CONNECTOR = "connector"
    READER = "reader"


_PREFIX = {PrincipalKind.CONNECTOR: "eck_", PrincipalKind.READER: "ert_"}


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a licence, and as what."""

    licence_id: str
    kind: PrincipalKind
    status: str


class Credentials(BaseModel):
    licence_id: str
    connector_key: str
    reader_token: str


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _new_key(kind: PrincipalKind) -> str:
    return _PREFIX[kind] + secrets.token_urlsafe(32)


class LicenceStore:
    def __init__(
        self, clickhouse: ClickHouse, hit_ttl: float = 30.0, miss_ttl: float = 2.0
    ) -> None:
        self._clickhouse = clickhouse
        self._hit_ttl = hit_ttl
        self._miss_ttl = miss_ttl
        self._cache: dict[str, tuple[float, Principal | None]] = {}

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
        for key_hash, (_, principal) in list(self._cache.items()):
            if principal is not None and principal.licence_id == licence_id:
                self._cache.pop(key_hash, None)

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
        key_hash = hash_key(key)
        now = time.monotonic()
        cached = self._cache.get(key_hash)
        if cached is not None and cached[0] > now:
            return cached[1]
        principal = await asyncio.to_thread(self._lookup, key_hash)
        if len(self._cache) > 100_000:  # bound memory against floods of random keys
            self._cache.clear()
        self._cache[key_hash] = (now + (self._hit_ttl if principal else self._miss_ttl), principal)
        return principal
