"""/v1/auth: sign up, create or reset a password from an e-mailed link, sign in and out, the
person's own session, password and second factor (docs/decisions/0009-merchant-accounts.md)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from accounts import totp
from accounts.password_policy import POLICY
from accounts.service import (
    Accounts,
    InvalidCredentials,
    LinkGone,
    PolicyFailed,
    Throttled,
    TotpInvalid,
    TotpRequired,
)
from accounts.sessions import SessionResolver, Signed
from infra.http_errors import (
    BadRequest,
    Gone,
    TooManyRequests,
    Unauthorized,
    Unavailable,
    errors,
    raises,
)
from infra.http_state import from_state
from infra.log_producer import LogUnavailable
from schemas.accounts import (
    Accepted,
    ChangePasswordRequest,
    ForgotRequest,
    LinkRequest,
    LinkState,
    LoginRequest,
    Me,
    PasswordCheckRequest,
    PasswordPolicy,
    PasswordRequest,
    PasswordVerdict,
    Person,
    PolicyRule,
    RecoveryCodes,
    SessionAnswer,
    SignupRequest,
    TotpCodeRequest,
    TotpDisableRequest,
    TotpSetup,
)

router = APIRouter(tags=["auth"])

AccountsState = Annotated[Accounts, Depends(from_state("accounts", Accounts))]
SessionsState = Annotated[SessionResolver, Depends(from_state("sessions", SessionResolver))]
_bearer = HTTPBearer(auto_error=False, description="The session token of /v1/auth/login.")

SENT = Accepted(
    fr="C’est noté : si cette adresse peut recevoir un lien, un e-mail vient de lui être envoyé. "
    "Pensez à regarder dans les courriers indésirables.",
    en="Noted: if this address can receive a link, an e-mail is on its way. Check the spam "
    "folder too.",
)
RETRY_SECONDS = 5


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@raises(Unauthorized)
async def _signed(
    sessions: SessionsState,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Signed:
    if credentials is None:
        raise Unauthorized(
            "missing_credentials",
            "Identifiants manquants : connectez-vous (POST /v1/auth/login).",
            "missing credentials: sign in (POST /v1/auth/login)",
        )
    return await sessions.signed(credentials.credentials)


SignedIn = Annotated[Signed, Depends(_signed)]


def _throttled(exc: Throttled) -> TooManyRequests:
    return TooManyRequests(
        "sign_in_throttled",
        f"Trop d’essais infructueux : réessayez dans {exc.seconds} s.",
        f"Too many failed attempts: retry in {exc.seconds} s.",
        headers={"Retry-After": str(exc.seconds)},
    )


def _wrong_password() -> Unauthorized:
    return Unauthorized(
        "invalid_credentials",
        "E-mail ou mot de passe incorrect.",
        "Wrong e-mail or password.",
    )


def _link_gone() -> Gone:
    return Gone(
        "link_gone",
        "Ce lien a déjà servi ou a expiré : demandez-en un nouveau (« Mot de passe oublié ? »).",
        "This link was used already or has expired: ask for a new one ('Forgot your password?').",
    )


def _refused(rules: list[PolicyRule]) -> RequestValidationError:
    """A 422 in FastAPI's shape, one entry per rule not met, at the password."""
    return RequestValidationError(
        [
            {
                "loc": ("body", "password"),
                "msg": f"{rule.fr} / {rule.en}",
                "type": rule.code,
                "ctx": {"fr": rule.fr, "en": rule.en},
            }
            for rule in rules
        ]
    )


@asynccontextmanager
async def log_available() -> AsyncIterator[None]:
    """503 when the control log is unreachable: nothing was recorded."""
    try:
        yield
    except LogUnavailable as exc:
        raise Unavailable(
            "accounts_unavailable",
            f"Le service des comptes est momentanément indisponible ; rien n’a été modifié. "
            f"Réessayez dans {RETRY_SECONDS} s.",
            f"Accounts are unavailable for a moment; nothing was changed. Retry in "
            f"{RETRY_SECONDS} s.",
            headers={"Retry-After": str(RETRY_SECONDS)},
        ) from exc


@router.post("/v1/auth/signup", status_code=status.HTTP_202_ACCEPTED, response_model=Accepted)
async def signup(body: SignupRequest, accounts: AccountsState, request: Request) -> Accepted:
    """The same answer whether or not the e-mail has an account; the e-mail says which."""
    if accounts.throttle.may_mail(body.email.lower(), _address(request)):
        accounts.in_background(accounts.signup(body.email, body.name, body.shop_name), "signup")
    return SENT


@router.post("/v1/auth/forgot", status_code=status.HTTP_202_ACCEPTED, response_model=Accepted)
async def forgot(body: ForgotRequest, accounts: AccountsState, request: Request) -> Accepted:
    if accounts.throttle.may_mail(body.email.lower(), _address(request)):
        accounts.in_background(accounts.forgot(body.email), "forgot")
    return SENT


@router.post("/v1/auth/link", response_model=LinkState, responses=errors(Gone))
async def link(body: LinkRequest, accounts: AccountsState) -> LinkState:
    """What a password link is for, before the page asks for the password."""
    try:
        found, user = await accounts.link_state(body.token)
    except LinkGone:
        raise _link_gone() from None
    return LinkState(purpose=found.purpose, email=user.email, expires_at=found.expires_at)


@router.get("/v1/auth/policy", response_model=PasswordPolicy)
async def policy() -> PasswordPolicy:
    """What a password must be: the page lists it before anything is typed."""
    return POLICY


@router.post(
    "/v1/auth/password/check", response_model=PasswordVerdict, responses=errors(TooManyRequests)
)
async def check_password(
    body: PasswordCheckRequest, accounts: AccountsState, request: Request
) -> PasswordVerdict:
    """The policy's verdict, nothing stored: the page checks as the merchant types."""
    wait = accounts.throttle.check_wait(_address(request))
    if wait is not None:
        raise TooManyRequests(
            "password_checks_throttled",
            f"Trop de vérifications : réessayez dans {wait} s.",
            f"Too many checks: retry in {wait} s.",
            headers={"Retry-After": str(wait)},
        )
    failed = await accounts.check_password(body.password, body.token)
    return PasswordVerdict(ok=not failed, failed=failed)


@router.post(
    "/v1/auth/password",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=errors(Gone, Unavailable),
)
async def set_password(body: PasswordRequest, accounts: AccountsState) -> Response:
    """From a link: the password is set, the link used, every session of the account ended."""
    try:
        async with log_available():
            await accounts.set_password(body.token, body.password)
    except LinkGone:
        raise _link_gone() from None
    except PolicyFailed as exc:
        raise _refused(exc.rules) from None
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/v1/auth/login",
    response_model=SessionAnswer,
    responses=errors(Unauthorized, TooManyRequests, Unavailable),
)
async def login(body: LoginRequest, accounts: AccountsState, request: Request) -> SessionAnswer:
    """401 `invalid_credentials` for a wrong e-mail and a wrong password alike;
    `totp_required` when the account has a second factor and no code was sent."""
    try:
        async with log_available():
            return await accounts.login(body.email, body.password, body.totp, _address(request))
    except Throttled as exc:
        raise _throttled(exc) from None
    except InvalidCredentials:
        raise _wrong_password() from None
    except TotpRequired:
        raise Unauthorized(
            "totp_required",
            "Saisissez le code de votre application d’authentification (ou un code de secours).",
            "Enter the code of your authenticator app (or a recovery code).",
        ) from None
    except TotpInvalid:
        raise Unauthorized(
            "totp_invalid",
            "Code incorrect ou déjà utilisé : saisissez le code affiché maintenant.",
            "Wrong or already used code: enter the code shown now.",
        ) from None


@router.post("/v1/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(signed: SignedIn, accounts: AccountsState) -> Response:
    """Ends the session on the server: its token is refused from now on."""
    async with log_available():
        await accounts.logout(signed.session_hash, signed.user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/v1/auth/me", response_model=Me)
async def me(signed: SignedIn, accounts: AccountsState) -> Me:
    user = signed.user
    secrets = await accounts.store.secrets(user.user_id)
    return Me(
        user=Person(
            user_id=user.user_id,
            email=user.email,
            name=user.name,
            shop_name=user.shop_name,
            operator=user.operator,
            totp_enabled=secrets.totp_secret is not None,
        ),
        licences=await accounts.store.licences_of(user.user_id),
        expires_at=signed.session.expires_at,
        idle_expires_at=min(
            signed.session.expires_at, signed.seen_at + accounts.policy.session_idle
        ),
    )


@router.post(
    "/v1/auth/password/change",
    response_model=SessionAnswer,
    responses=errors(TooManyRequests, Unavailable),
)
async def change_password(
    body: ChangePasswordRequest,
    signed: SignedIn,
    accounts: AccountsState,
    request: Request,
) -> SessionAnswer:
    """Every session of the account ends, this one included: the answer holds its successor."""
    try:
        async with log_available():
            answer = await accounts.change_password(
                signed.user, body.current_password, body.new_password, _address(request)
            )
    except Throttled as exc:
        raise _throttled(exc) from None
    except InvalidCredentials:
        raise _refused_current() from None
    except PolicyFailed as exc:
        raise _refused(exc.rules) from None
    return answer


def _refused_current() -> RequestValidationError:
    return RequestValidationError(
        [
            {
                "loc": ("body", "current_password"),
                "msg": "Mot de passe actuel incorrect. / Wrong current password.",
                "type": "invalid_credentials",
            }
        ]
    )


@router.post("/v1/auth/totp/setup", response_model=TotpSetup)
async def totp_setup(signed: SignedIn, accounts: AccountsState) -> TotpSetup:
    """A new secret for the authenticator app; the second factor is on once a code of it is
    confirmed (/v1/auth/totp/enable)."""
    async with log_available():
        secret = await accounts.totp_setup(signed.user)
    uri = totp.provisioning_uri(secret, signed.user.email)
    return TotpSetup(secret=secret, uri=uri, qr_svg=totp.qr_svg(uri))


@router.post("/v1/auth/totp/enable", response_model=RecoveryCodes, responses=errors(BadRequest))
async def totp_enable(
    body: TotpCodeRequest, signed: SignedIn, accounts: AccountsState
) -> RecoveryCodes:
    """The ten recovery codes, shown this once (each works once, instead of a code)."""
    async with log_available():
        codes = await accounts.totp_enable(signed.user, body.code)
    if codes is None:
        raise BadRequest(
            "totp_invalid",
            "Code incorrect : saisissez le code affiché par l’application, après avoir scanné "
            "le QR code.",
            "Wrong code: enter the code the app shows, once the QR code is scanned.",
        )
    return RecoveryCodes(recovery_codes=codes)


@router.post(
    "/v1/auth/totp/disable",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=errors(TooManyRequests),
)
async def totp_disable(
    body: TotpDisableRequest, signed: SignedIn, accounts: AccountsState, request: Request
) -> Response:
    try:
        async with log_available():
            await accounts.totp_disable(signed.user, body.password, _address(request))
    except Throttled as exc:
        raise _throttled(exc) from None
    except InvalidCredentials:
        raise _wrong_password() from None
    return Response(status_code=status.HTTP_204_NO_CONTENT)
