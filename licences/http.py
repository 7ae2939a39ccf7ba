"""FastAPI dependencies that turn a bearer token into the caller's licence, or refuse."""

from __future__ import annotations

import hmac
from typing import Annotated, Any

import structlog
from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from infra.http_errors import Forbidden, TooManyRequests, Unauthorized, raises
from infra.http_state import from_state
from infra.rate_limit import WriteLimiter
from licences.store import LicenceStore, Principal, PrincipalKind, hash_key

Licences = Annotated[LicenceStore, Depends(from_state("licences", LicenceStore))]
Limiter = Annotated[WriteLimiter, Depends(from_state("write_limiter", WriteLimiter))]
OperatorToken = Annotated[str, Depends(from_state("operator_token", str))]

_bearer = HTTPBearer(auto_error=False, description="A licence's connector key or reader token.")

NO_LICENCE_FR = (
    "Vous ne possédez pas de licence : cette licence n’est pas active. Contactez votre revendeur "
    "pour la renouveler."
)
NO_LICENCE_EN = (
    "You do not have a licence: this licence is not active. Contact your reseller to renew it."
)

# Each kind: what an endpoint asks for (French, English), and what a caller sent (French).
_KINDS = {
    PrincipalKind.CONNECTOR: (
        "une clé de connecteur (eck_...)",
        "a connector key (eck_...)",
        "une clé de connecteur",
    ),
    PrincipalKind.READER: (
        "un jeton de lecture (ert_...)",
        "a reader token (ert_...)",
        "un jeton de lecture",
    ),
}


def _principal_of(kind: PrincipalKind):  # type: ignore[no-untyped-def]
    wanted_fr, wanted_en, _ = _KINDS[kind]

    @raises(Unauthorized, Forbidden)
    async def dependency(
        licences: Licences,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Principal:
        if credentials is None:
            raise Unauthorized(
                "missing_credentials",
                f"Identifiants manquants : envoyez « Authorization: Bearer <{wanted_fr}> ».",
                f"missing credentials: send 'Authorization: Bearer <{wanted_en}>'",
            )
        principal = await licences.authenticate(credentials.credentials)
        if principal is None:
            raise Unauthorized(
                "unknown_key",
                "Clé inconnue : vérifiez la clé, ou créez une licence avec "
                "`ero licence create NOM`.",
                "unknown key: check the key, or create a licence with `ero licence create NAME`",
            )
        if principal.kind is not kind:
            raise Forbidden(
                "wrong_credentials",
                f"Ce point d’accès demande {wanted_fr} ; vous avez envoyé "
                f"{_KINDS[principal.kind][2]}.",
                f"this endpoint needs {wanted_en}; you sent a {principal.kind.value} key",
            )
        if principal.status != "active":
            raise Forbidden("licence_inactive", NO_LICENCE_FR, NO_LICENCE_EN)
        structlog.contextvars.bind_contextvars(licence_id=principal.licence_id)
        return principal

    return dependency


ConnectorPrincipal = Annotated[Principal, Depends(_principal_of(PrincipalKind.CONNECTOR))]
ReaderPrincipal = Annotated[Principal, Depends(_principal_of(PrincipalKind.READER))]


@raises(Unauthorized)
async def _operator(
    operator_token: OperatorToken,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    if credentials is None or not hmac.compare_digest(
        credentials.credentials.encode(), operator_token.encode()
    ):
        raise Unauthorized(
            "operator_token_required",
            "Jeton d’opérateur requis : ERO_OPERATOR_TOKEN, ou le fichier operator.token de "
            "ERO_DATA_DIR.",
            "operator token required: use ERO_OPERATOR_TOKEN or the file operator.token in "
            "ERO_DATA_DIR",
        )


Operator = Depends(_operator)


def rate_limited(kind: str) -> Any:
    """The dependency of every write a reader or a connector can repeat (ERO_RATE_LIMIT_*):
    429 with Retry-After past the key's or the licence's limit for `kind`. An unknown key is
    not counted: the route's own principal dependency refuses it."""

    @raises(TooManyRequests)
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
            raise TooManyRequests(
                "rate_limited",
                f"Trop de demandes : réessayez dans {seconds} s.",
                f"Too many requests: retry in {seconds} s.",
                headers={"Retry-After": str(seconds)},
            )

    dependency.__name__ = f"rate_limited_{kind}"
    return Depends(dependency)
