"""FastAPI dependencies that turn a bearer token into the caller's licence, or refuse."""

from __future__ import annotations

import hmac
from typing import Annotated

import structlog
from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from infra.http_errors import Forbidden, Unauthorized, raises
from infra.http_state import from_state
from licences.store import LicenceStore, Principal, PrincipalKind

Licences = Annotated[LicenceStore, Depends(from_state("licences", LicenceStore))]
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
