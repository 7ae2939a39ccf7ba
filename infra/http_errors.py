"""HTTP errors shared by every router, how the OpenAPI comes to list each of them, and the one
handler of every 422.

An error answers `{"detail": {"code", "fr", "en"}}`: a stable code for programs, the text in
French and English (a few errors add fields of their own, such as the pending action's id). A
422 keeps FastAPI's shape, `{"detail": [{"loc", "msg", "type", "input", "ctx"}]}`, naming each
invalid field: its `type` is the stable code, `ctx.fr` and `ctx.en` its text in French and
English (pydantic's own `msg` is English only), and it quotes at most a short excerpt of what was
sent: a 30 MB body answered by a 30 MB echo would cost both sides for nothing, and would copy
back whatever secret the body held. An error nobody raised on purpose (a bug) answers 500 with
the same body as the others, and is logged.

An error class fixes its status and says, once, what that status means (`ApiError`). Whatever
can raise one declares it: a dependency with `@raises(...)`, a route with
`responses=errors(...)`. `document_errors` then writes, for every operation, the error
responses of the dependencies it runs, so a dependency added to a route (authentication, a rate
limit) documents its statuses wherever it is used, and no route lists them by hand.
"""

from __future__ import annotations

import reprlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from http import HTTPStatus
from typing import Any, ClassVar, TypeVar

import structlog
from fastapi import FastAPI, HTTPException, Request, status
from fastapi.dependencies.models import Dependant
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute, APIRouter
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from schemas.line_errors import french

log = structlog.get_logger(__name__)

F = TypeVar("F", bound=Callable[..., Any])
_DECLARED = "__ero_errors__"
EXCERPT_CHARS = 120
"""What a 422 quotes of an input at most."""
MESSAGE_CHARS = 600
"""What a 422 keeps of a message: ours are a sentence in two languages, pydantic's may quote the
input, so they are bounded too, but never cut before they have said what to do."""
MAX_ERRORS = 50
"""What a 422 lists at most (a body of 10 000 bad items names the first ones, and a count)."""


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="allow")

    code: str = Field(description="Stable identifier of the error, for programs")
    fr: str = Field(description="What happened and what to do, in French")
    en: str = Field(description="The same in English")


class ErrorBody(BaseModel):
    """What every error but a 422 answers."""

    detail: ErrorDetail


class ApiError(HTTPException):
    """An error a route or a dependency raises on purpose. The class fixes the status and what
    the OpenAPI says of it; the instance, its stable code, its text in both languages and any
    field of its own (`extra`)."""

    status: ClassVar[int]
    description: ClassVar[str]
    retry_after: ClassVar[bool] = False
    """Answers carry `Retry-After` (seconds): documented as a response header."""

    def __init__(
        self,
        code: str,
        fr: str,
        en: str,
        *,
        headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> None:
        detail = {"code": code, "fr": fr, "en": en, **extra}
        super().__init__(self.status, detail=detail, headers=dict(headers or {}) or None)


class BadRequest(ApiError):
    status = status.HTTP_400_BAD_REQUEST
    description = "The body cannot be read (not the JSON, or NDJSON, it must be)"


class Unauthorized(ApiError):
    status = status.HTTP_401_UNAUTHORIZED
    description = "Missing or unknown credentials (`Authorization: Bearer ...`)"

    def __init__(self, code: str, fr: str, en: str) -> None:
        super().__init__(code, fr, en, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(ApiError):
    status = status.HTTP_403_FORBIDDEN
    description = "Credentials of another kind, or of a licence that is not active"


class NotFound(ApiError):
    status = status.HTTP_404_NOT_FOUND
    description = "No such entity (in this licence, for a licence's own)"


class Conflict(ApiError):
    status = status.HTTP_409_CONFLICT
    description = "The entity's state does not allow this now (the body says why)"


class Gone(ApiError):
    status = status.HTTP_410_GONE
    description = "The link was used already, or has expired: ask for a new one"


class ContentTooLarge(ApiError):
    status = status.HTTP_413_CONTENT_TOO_LARGE
    description = "The request carries more than one call accepts"


class TooManyRequests(ApiError):
    status = status.HTTP_429_TOO_MANY_REQUESTS
    description = "Too many calls: retry after `Retry-After` seconds"
    retry_after = True


class Unavailable(ApiError):
    status = status.HTTP_503_SERVICE_UNAVAILABLE
    description = "The log is unreachable and nothing was changed: retry after `Retry-After` s"
    retry_after = True


class _Excerpts(reprlib.Repr):
    """reprlib's bounded repr; integers are never printed whole (past 4 300 digits Python
    refuses to, and the conversion costs quadratic time)."""

    def __init__(self) -> None:
        super().__init__()  # Python 3.11 takes its limits as attributes only
        self.maxlevel = 2
        self.maxdict = self.maxlist = self.maxtuple = self.maxset = 4
        self.maxstring = self.maxother = 60

    def repr_int(self, x: int, level: int) -> str:
        return str(x) if abs(x) < 10**15 else f"<an integer of {x.bit_length()} bits>"


_EXCERPT = _Excerpts()


def invalid(
    where: str,
    field: str | Sequence[str | int],
    message: str,
    *,
    fr: str | None = None,
    code: str = "value_error",
) -> RequestValidationError:
    """A 422 naming the field (or its JSON path), shaped like FastAPI's own validation errors:
    `message` in English and `fr` in French, or `message` alone written "français / English"."""
    path = (field,) if isinstance(field, str) else tuple(field)
    error: dict[str, Any] = {"loc": (where, *path), "msg": message, "type": code}
    if fr is not None:
        error["ctx"] = {"fr": fr, "en": message}
    return RequestValidationError([error])


_VALUE_ERROR = "Value error, "
"""What pydantic puts before the text of a ValueError raised by a validator."""


def bilingual(error: Mapping[str, Any]) -> tuple[str, str]:
    """(French, English) of one validation error: its own `ctx.fr` / `ctx.en` when it carries
    them, its two halves when its text is written "français / English", else the French of its
    pydantic type and pydantic's English."""
    ctx = error.get("ctx") or {}
    if isinstance(ctx.get("fr"), str) and isinstance(ctx.get("en"), str):
        return ctx["fr"], ctx["en"]
    message = str(error.get("msg", ""))
    message = message.removeprefix(_VALUE_ERROR)
    if " / " in message:
        fr, en = message.split(" / ", 1)
        return fr, en
    fr = french(str(error.get("type", "")), ctx)
    return fr[:1].upper() + fr[1:], message


def excerpt(value: Any, chars: int = EXCERPT_CHARS) -> Any:
    """`value` itself when it is short, else a bounded textual excerpt of it (bounded in time
    too: reprlib stops at its limits, whatever the size of `value`)."""
    if value is None or isinstance(value, bool | float):
        return value
    if isinstance(value, int):
        return value if abs(value) < 10**15 else _EXCERPT.repr(value)
    text = value if isinstance(value, str) else _EXCERPT.repr(value)
    return text if len(text) <= chars else text[: chars - 1] + "…"


def _shown(error: Mapping[str, Any]) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "type": error.get("type", "value_error"),
        "loc": list(error.get("loc", ())),
        "msg": excerpt(str(error.get("msg", "")), MESSAGE_CHARS),
    }
    if "input" in error:
        shown["input"] = excerpt(error["input"])
    ctx = {str(k): excerpt(v) for k, v in (error.get("ctx") or {}).items()}
    ctx["fr"], ctx["en"] = (excerpt(text, MESSAGE_CHARS) for text in bilingual(error))
    shown["ctx"] = ctx
    return shown


async def validation_error(_: Request, exc: Exception) -> JSONResponse:
    """Every 422 of the app: FastAPI's shape (`detail`: type, loc, msg, input), excerpts only."""
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    shown = [_shown(error) for error in errors[:MAX_ERRORS]]
    if len(errors) > MAX_ERRORS:
        more = len(errors) - MAX_ERRORS
        en = f"{more} more not shown"
        shown.append(
            {
                "type": "too_many_errors",
                "loc": [],
                "msg": en,
                "ctx": {"fr": f"{more} autres erreurs non montrées", "en": en},
            }
        )
    return JSONResponse(status_code=422, content={"detail": jsonable_encoder(shown)})


def raises(*kinds: type[ApiError]) -> Callable[[F], F]:
    """Declares the errors a dependency may raise: every operation that depends on it, however
    deep, documents them."""

    def declare(dependency: F) -> F:
        setattr(dependency, _DECLARED, (*getattr(dependency, _DECLARED, ()), *kinds))
        return dependency

    return declare


def errors(*kinds: type[ApiError]) -> dict[int | str, dict[str, Any]]:
    """A route's own errors, for its decorator's `responses=`."""
    return {kind.status: _response(kind) for kind in kinds}


def _response(kind: type[ApiError]) -> dict[str, Any]:
    response: dict[str, Any] = {"model": ErrorBody, "description": kind.description}
    if kind.retry_after:
        response["headers"] = {
            "Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}
        }
    return response


def _dependencies(dependant: Dependant) -> Iterator[Dependant]:
    for sub in dependant.dependencies:
        yield sub
        yield from _dependencies(sub)


def _declared(route: APIRoute) -> Iterator[type[ApiError]]:
    for dependant in _dependencies(route.dependant):
        yield from getattr(dependant.call, _DECLARED, ())


BODY_ERRORS: tuple[type[ApiError], ...] = (BadRequest, ContentTooLarge)
"""What any route taking a JSON body may answer before it runs: FastAPI's 400 for a body it
cannot parse (not UTF-8, say), the body limit's 413 (infra/http_guards.py)."""


def document_errors(
    router: APIRouter, *, bodies: Sequence[type[ApiError]] = BODY_ERRORS
) -> APIRouter:
    """Writes into each of the router's routes the errors its dependencies declare, `bodies`
    into each route that takes a body (what the app answers to any body, a size limit say), and
    the route's response model into a success status it declares without one (a 202 "not yet
    visible"). Call before the router is included in the app (an app copies what it includes);
    calling it again changes nothing."""
    for route in router.routes:
        if not isinstance(route, APIRoute):
            continue
        for kind in (*_declared(route), *(bodies if route.body_field is not None else ())):
            route.responses.setdefault(kind.status, _response(kind))
        for code, response in route.responses.items():
            if int(code) < 300 and "model" not in response and route.response_model is not None:
                response["model"] = route.response_model
    return router


_GENERIC: dict[int, tuple[str, str, str]] = {
    400: ("bad_request", "Requête illisible.", "The request cannot be read."),
    401: ("unauthorized", "Identifiants manquants ou inconnus.", "Missing or unknown credentials."),
    403: ("forbidden", "Accès refusé.", "Access denied."),
    404: ("not_found", "Introuvable : cette adresse n’existe pas.", "Not found: no such path."),
    405: (
        "method_not_allowed",
        "Méthode non permise à cette adresse.",
        "Method not allowed at this path.",
    ),
    409: ("conflict", "Conflit avec l’état actuel.", "Conflicts with the current state."),
    410: ("gone", "Ce lien n’est plus valable.", "This link is no longer valid."),
    413: ("content_too_large", "Requête trop volumineuse.", "Request too large."),
    429: (
        "too_many_requests",
        "Trop de requêtes : réessayez plus tard.",
        "Too many requests: retry later.",
    ),
    503: (
        "unavailable",
        "Service momentanément indisponible : réessayez plus tard.",
        "Service unavailable for a moment: retry later.",
    ),
}


async def bare_http_error(request: Request, exc: Exception) -> Response:
    """An HTTP error raised with a bare text (FastAPI's 400 for an unreadable body, Starlette's
    404 and 405, a plain HTTPException) answers the same body as an ApiError: a code and a
    sentence in French and English for its status (its own English text when it says more
    than the status' name)."""
    assert isinstance(exc, StarletteHTTPException)
    if isinstance(exc.detail, str) and exc.status_code >= 400:
        code, fr, en = _GENERIC.get(
            exc.status_code, (f"http_{exc.status_code}", "Erreur.", "Error.")
        )
        if exc.detail and exc.detail != HTTPStatus(exc.status_code).phrase:
            en = exc.detail
        exc = HTTPException(
            exc.status_code, detail={"code": code, "fr": fr, "en": en}, headers=exc.headers
        )
    return await http_exception_handler(request, exc)


async def internal_error(request: Request, exc: Exception) -> Response:
    """A bug answers 500 with the body every error has (Starlette then logs the traceback)."""
    log.error("unhandled_error", path=request.url.path, error=type(exc).__name__)
    return JSONResponse(
        status_code=500,
        content={
            "detail": {
                "code": "internal_error",
                "fr": "Erreur interne du service : réessayez ; si elle persiste, ouvrez un ticket.",
                "en": "Internal error of the service: retry; if it persists, open a ticket.",
            }
        },
    )


def install_error_handlers(app: FastAPI) -> None:
    """Every error the app answers has the body the OpenAPI documents."""
    app.add_exception_handler(StarletteHTTPException, bare_http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(Exception, internal_error)
