"""The random tokens of accounts: sessions, password links, recovery codes (stored hashed)."""

from __future__ import annotations

import re
import secrets

from licences.http import SESSION_PREFIX
from licences.store import hash_key

SESSION_SHAPE = re.compile(rf"^{SESSION_PREFIX}[A-Za-z0-9_-]{{43}}$")
_RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off a sheet

token_hash = hash_key
"""SHA-256: every token is 256 random bits (a recovery code, 80), beyond any brute force."""


def new_session_token() -> str:
    return SESSION_PREFIX + secrets.token_urlsafe(32)


def new_link_token() -> str:
    return secrets.token_urlsafe(32)


def new_recovery_code() -> str:
    """16 characters of a 32-letter alphabet (80 bits), in groups of four."""
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def recovery_hash(code: str) -> str:
    return token_hash("".join(code.upper().split()).replace("-", ""))
