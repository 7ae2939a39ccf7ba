"""HTTP errors shared by every router, how the OpenAPI comes to list each of them, and the one
handler of every 422.

An error answers `{"detail": {"code", "fr", "en"}}`: a stable code for programs, the text in
French and English (a few errors add fields of their own, such as the pending action's id). A
422 keeps FastAPI's shape, `{"detail": [{"loc", "msg", "type", "input"}]}`, naming each invalid
field and quoting at most a short excerpt of what was sent: a 30 MB body answered by a 30 MB echo
would cost both sides for nothing, and would copy back whatever secret the body held.

An error class fixes its status and says, once, what that status means (`ApiError`). Whatever
can raise one declares it: a dependency with `@raises(...)`, a route with
`responses=errors(...)`. `document_errors` then writes, for every operation, the error
responses of the dependencies it runs, so a dependency added to a route (authentication, a rate
limit) documents its statuses wherever it is used, and no route lists them by hand.
"""

from __future__ import annotations

import reprlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, ClassVar, TypeVar

from fastapi import FastAPI, HTTPException, Request, status
from fastapi.dependencies.models import Dependant
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute, APIRouter
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

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


def invalid(where: str, field: str | Sequence[str | int], message: str) -> RequestValidationError:
    """A 422 naming the field (or its JSON path), shaped like FastAPI's own validation errors."""
    path = (field,) if isinstance(field, str) else tuple(field)
    return RequestValidationError([{"loc": (where, *path), "msg": message, "type": "value_error"}])


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
    if error.get("ctx"):
        shown["ctx"] = {str(k): excerpt(v) for k, v in error["ctx"].items()}
    return shown


async def validation_error(_: Request, exc: Exception) -> JSONResponse:
    """Every 422 of the app: FastAPI's shape (`detail`: type, loc, msg, input), excerpts only."""
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    shown = [_shown(error) for error in errors[:MAX_ERRORS]]
    if len(errors) > MAX_ERRORS:
        more = len(errors) - MAX_ERRORS
        shown.append({"type": "too_many_errors", "loc": [], "msg": f"{more} more not shown"})
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


_GENERIC: dict[int, tuple[str, str]] = {
    400: ("bad_request", "Requête illisible."),
    401: ("unauthorized", "Identifiants manquants ou inconnus."),
    403: ("forbidden", "Accès refusé."),
    404: ("not_found", "Introuvable."),
    405: ("method_not_allowed", "Méthode non permise ici."),
    409: ("conflict", "Conflit avec l’état actuel."),
    410: ("gone", "Ce lien n’est plus valable."),
    413: ("content_too_large", "Requête trop volumineuse."),
    429: ("too_many_requests", "Trop de requêtes : réessayez plus tard."),
    503: ("unavailable", "Service momentanément indisponible : réessayez plus tard."),
}


async def bare_http_error(request: Request, exc: Exception) -> Response:
    """An HTTP error raised with a bare text (FastAPI's 400 for an unreadable body, Starlette's
    404 and 405, a plain HTTPException) answers the same body as an ApiError: a code and a
    French sentence for its status, its own text in English."""
    assert isinstance(exc, StarletteHTTPException)
    if isinstance(exc.detail, str) and exc.status_code >= 400:
        code, fr = _GENERIC.get(exc.status_code, (f"http_{exc.status_code}", "Erreur."))
        exc = HTTPException(
            exc.status_code, detail={"code": code, "fr": fr, "en": exc.detail}, headers=exc.headers
        )
    return await http_exception_handler(request, exc)


def install_error_handlers(app: FastAPI) -> None:
    """Every error the app answers has the body the OpenAPI documents."""
    app.add_exception_handler(StarletteHTTPException, bare_http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
