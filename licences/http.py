"""FastAPI dependencies that turn a bearer token into the caller's licence, or refuse."""

from __future__ import annotations

import hmac
from typing import Annotated

import structlog
from fastapi import Depends, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from infra.http_state import from_state
from licences.store import LicenceStore, Principal, PrincipalKind

Licences = Annotated[LicenceStore, Depends(from_state("licences", LicenceStore))]
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
