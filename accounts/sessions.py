"""Resolving a person's session token into who acts in which licence (licences.http.Sessions)."""

from __future__ import annotations

from infra.http_errors import Unauthorized
from licences.http import OperatorCaller
from licences.store import Principal


def _unknown() -> Unauthorized:
    return Unauthorized(
        "session_unknown",
        "Session inconnue ou terminée : reconnectez-vous.",
        "unknown or ended session: sign in again",
    )


class SessionResolver:
    async def principal(self, token: str, licence_id: str | None) -> Principal:
        raise _unknown()

    async def operator(self, token: str) -> OperatorCaller | None:
        return None
