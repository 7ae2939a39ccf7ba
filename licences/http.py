"""FastAPI dependencies that turn a bearer token into the caller's licence, or refuse."""

from __future__ import annotations

import hmac
from typing import Annotated, Any

import structlog
from fastapi import Depends, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from infra.http_errors import http_error
from infra.http_state import from_state
from infra.rate_limit import WriteLimiter
from licences.store import LicenceStore, Principal, PrincipalKind, hash_key

Licences = Annotated[LicenceStore, Depends(from_state("licences", LicenceStore))]
Limiter = Annotated[WriteLimiter, Depends(from_state("write_limiter", WriteLimiter))]
OperatorToken = Annotated[str, Depends(from_state("operator_token", str))]

_bearer = HTTPBearer(auto_error=False, description="A licence's connector key or reader token.")

NO_LICENCE = (
    "Vous ne possédez pas de licence / You do not have a licence: this licence is not active. "
    "Contact your reseller to renew it."
)


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail=message, headers={"WWW-Authenticate": "Bearer"}
    )


def _principal_of(kind: PrincipalKind):  # type: ignore[no-untyped-def]
    wanted = (
        "a connector key (eck_...)"
        if kind is PrincipalKind.CONNECTOR
        else ("a reader token (ert_...)")
    )

    async def dependency(
        licences: Licences,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Principal:
        if credentials is None:
            raise _unauthorized(f"missing credentials: send 'Authorization: Bearer <{wanted}>'")
        principal = await licences.authenticate(credentials.credentials)
        if principal is None:
            raise _unauthorized(
                "unknown key: check the key, or create a licence with `ero licence create NAME`"
            )
        if principal.kind is not kind:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail=f"this endpoint needs {wanted}; you sent a {principal.kind.value} key",
            )
        if principal.status != "active":
            raise HTTPException(status.HTTP_403_FORBIDDEN, detail=NO_LICENCE)
        structlog.contextvars.bind_contextvars(licence_id=principal.licence_id)
        return principal

    return dependency


ConnectorPrincipal = Annotated[Principal, Depends(_principal_of(PrincipalKind.CONNECTOR))]
ReaderPrincipal = Annotated[Principal, Depends(_principal_of(PrincipalKind.READER))]


async def _operator(
    operator_token: OperatorToken,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    if credentials is None or not hmac.compare_digest(
        credentials.credentials.encode(), operator_token.encode()
    ):
        raise _unauthorized(
            "operator token required: use ERO_OPERATOR_TOKEN or the file operator.token in "
            "ERO_DATA_DIR"
        )


Operator = Depends(_operator)


def rate_limited(kind: str) -> Any:
    """The dependency of every write a reader or a connector can repeat (ERO_RATE_LIMIT_*):
    429 with Retry-After past the key's or the licence's limit for `kind`. An unknown key is
    not counted: the route's own principal dependency refuses it."""

    async def dependency(
        licences: Licences,
        limiter: Limiter,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> None:
        principal = await licences.authenticate(credentials.credentials) if credentials else None
        if principal is None or credentials is None:
            return
        wait = limiter.hit(kind, principal.licence_id, hash_key(credentials.credentials))
        if wait is not None:
            seconds = int(wait)
            raise http_error(
                status.HTTP_429_TOO_MANY_REQUESTS,
                "rate_limited",
                f"Trop de demandes : réessayez dans {seconds} s.",
                f"Too many requests: retry in {seconds} s.",
                headers={"Retry-After": str(seconds)},
            )

    dependency.__name__ = f"rate_limited_{kind}"
    return Depends(dependency)
