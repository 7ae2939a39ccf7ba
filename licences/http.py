"""FastAPI dependencies that turn a bearer token into the caller's licence, or refuse."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated, Any, Protocol

import structlog
from fastapi import Depends, Header
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from infra.http_errors import Forbidden, TooManyRequests, Unauthorized, raises
from infra.http_state import from_state
from infra.rate_limit import WriteLimiter
from licences.store import LicenceStore, Principal, PrincipalKind, Role, hash_key

SESSION_PREFIX = "ers_"
"""What a session token (accounts/) starts with: the other keys are looked up here."""


OPERATOR_TOKEN_ACTOR = "operator"
"""Who the audit names for a script holding the shared operator token."""


@dataclass(frozen=True, slots=True)
class OperatorCaller:
    """The vendor's operator calling: a person signed in with the operator role, or a script
    holding the shared operator token."""

    actor: str


class Sessions(Protocol):
    """Resolves a person's session token (accounts/ implements it; the root sets it)."""

    async def principal(self, token: str, licence_id: str | None) -> Principal:
        """The person acting in `licence_id` (None: the only licence they hold). Raises
        Unauthorized for an unknown, expired or revoked session, Forbidden when the person
        holds no active licence or not this one, BadRequest when they hold several and
        named none."""
        ...

    async def operator(self, token: str) -> OperatorCaller | None:
        """The operator a session token belongs to; None if its person is no operator. Raises
        Unauthorized for an unknown, expired or revoked session."""
        ...


Licences = Annotated[LicenceStore, Depends(from_state("licences", LicenceStore))]
Limiter = Annotated[WriteLimiter, Depends(from_state("write_limiter", WriteLimiter))]
OperatorToken = Annotated[str, Depends(from_state("operator_token", str))]
SessionsState = Annotated[Sessions, Depends(from_state("sessions", Sessions))]

_bearer = HTTPBearer(
    auto_error=False,
    description="A licence's connector key or reader token, or a person's session token.",
)
LicenceHeader = Annotated[
    str | None,
    Header(
        alias="X-ERO-Licence",
        max_length=64,
        description="With a session token: the licence to act in (optional when the person "
        "holds one licence).",
    ),
]

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
        "un jeton de lecture (ert_...) ou une session",
        "a reader token (ert_...) or a session",
        "un jeton de lecture",
    ),
    PrincipalKind.SESSION: ("une session", "a session", "une session"),
}


async def _resolve(
    licences: LicenceStore, sessions: Sessions, token: str, licence: str | None
) -> Principal | None:
    """The caller of `token`: a person's session acting in `licence` (raising as
    Sessions.principal does), or a key's licence; None for an unknown key."""
    if token.startswith(SESSION_PREFIX):
        return await sessions.principal(token, licence)
    return await licences.authenticate(token)


def _principal_of(kind: PrincipalKind):  # type: ignore[no-untyped-def]
    wanted_fr, wanted_en, _ = _KINDS[kind]

    @raises(Unauthorized, Forbidden)
    async def dependency(
        licences: Licences,
        sessions: SessionsState,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        licence: LicenceHeader = None,
    ) -> Principal:
        if credentials is None:
            raise Unauthorized(
                "missing_credentials",
                f"Identifiants manquants : envoyez « Authorization: Bearer <{wanted_fr}> ».",
                f"missing credentials: send 'Authorization: Bearer <{wanted_en}>'",
            )
        token = credentials.credentials
        if token.startswith(SESSION_PREFIX) and kind is not PrincipalKind.READER:
            raise Forbidden(
                "wrong_credentials",
                f"Ce point d’accès demande {wanted_fr} ; vous avez envoyé une session.",
                f"this endpoint needs {wanted_en}; you sent a session token",
            )
        principal = await _resolve(licences, sessions, token, licence)
        if principal is not None and principal.kind is PrincipalKind.SESSION:
            structlog.contextvars.bind_contextvars(
                licence_id=principal.licence_id, user_id=principal.user_id
            )
            return principal  # the resolver checked the session, the licence and its status
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
"""Who reads a licence: its reader token, or a person of its team (any role)."""

_ROLE_NAMES = {
    Role.VIEWER: ("lecteur", "viewer"),
    Role.MEMBER: ("membre", "member"),
    Role.OWNER: ("propriétaire", "owner"),
}


def _at_least(needed: Role):  # type: ignore[no-untyped-def]
    needed_fr, needed_en = _ROLE_NAMES[needed]

    @raises(Forbidden)
    async def dependency(principal: ReaderPrincipal) -> Principal:
        if not principal.role.allows(needed):
            held_fr, held_en = _ROLE_NAMES[principal.role]
            raise Forbidden(
                "role_forbidden",
                f"Votre rôle dans cette licence ({held_fr}) ne permet pas cette action : il "
                f"faut être {needed_fr}. Demandez-le au propriétaire de la licence.",
                f"your role in this licence ({held_en}) does not allow this: it needs "
                f"{needed_en}. Ask the licence's owner.",
            )
        return principal

    dependency.__name__ = f"at_least_{needed.value}"
    return dependency


MemberPrincipal = Annotated[Principal, Depends(_at_least(Role.MEMBER))]
"""Who may change a licence's reports, configurations, actions and tickets."""
OwnerPrincipal = Annotated[Principal, Depends(_at_least(Role.OWNER))]
"""Who may change a licence's team, keys and settings."""


@raises(Unauthorized, Forbidden)
async def _operator(
    operator_token: OperatorToken,
    sessions: SessionsState,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> OperatorCaller:
    if credentials is not None:
        token = credentials.credentials
        if token.startswith(SESSION_PREFIX):
            caller = await sessions.operator(token)
            if caller is not None:
                return caller
            raise Forbidden(
                "operator_required",
                "Réservé à l’équipe de l’éditeur : votre compte n’a pas le rôle d’opérateur.",
                "For the vendor's team only: your account does not have the operator role.",
            )
        if hmac.compare_digest(token.encode(), operator_token.encode()):
            return OperatorCaller(OPERATOR_TOKEN_ACTOR)
    raise Unauthorized(
        "operator_token_required",
        "Session d’opérateur ou jeton d’opérateur requis : connectez-vous avec un compte "
        "opérateur (`ero operator create EMAIL`), ou utilisez ERO_OPERATOR_TOKEN ou le fichier "
        "operator.token de ERO_DATA_DIR.",
        "operator session or token required: sign in with an operator account (`ero operator "
        "create EMAIL`), or use ERO_OPERATOR_TOKEN or the file operator.token in ERO_DATA_DIR",
    )


Operator = Depends(_operator)
OperatorPrincipal = Annotated[OperatorCaller, Operator]
"""The operator calling, for routes that name them in the audit trail."""


def rate_limited(kind: str) -> Any:
    """The dependency of every write a reader or a connector can repeat (ERO_RATE_LIMIT_*):
    429 with Retry-After past the key's or the licence's limit for `kind`. An unknown key is
    not counted: the route's own principal dependency refuses it."""

    @raises(TooManyRequests)
    async def dependency(
        licences: Licences,
        sessions: SessionsState,
        limiter: Limiter,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        licence: LicenceHeader = None,
    ) -> None:
        if credentials is None:
            return
        principal = await _resolve(licences, sessions, credentials.credentials, licence)
        if principal is None:
            return
        _refuse_past(limiter.hit(kind, principal.licence_id, hash_key(credentials.credentials)))

    dependency.__name__ = f"rate_limited_{kind}"
    return Depends(dependency)


def _refuse_past(wait: float | None) -> None:
    if wait is not None:
        seconds = int(wait)
        raise TooManyRequests(
            "rate_limited",
            f"Trop de demandes : réessayez dans {seconds} s.",
            f"Too many requests: retry in {seconds} s.",
            headers={"Retry-After": str(seconds)},
        )


def operator_rate_limited(kind: str) -> Any:
    """rate_limited for an operator's writes (the support inbox's answers and changes): per
    operator key, a session or the shared token, each its own bucket of `kind`."""

    @raises(TooManyRequests)
    async def dependency(
        _: OperatorPrincipal,
        limiter: Limiter,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> None:
        if credentials is not None:  # never None past OperatorPrincipal
            key = hash_key(credentials.credentials)
            _refuse_past(limiter.hit(kind, f"operator:{key}", key))

    dependency.__name__ = f"operator_rate_limited_{kind}"
    return Depends(dependency)
