"""HTTP errors shared by every router, and how the OpenAPI comes to list each of them.

Every error answers one body (`ErrorBody`): a stable `code` for programs, the text in French and
English, and `detail` as the first API answered it (the English text, FastAPI's list of invalid
fields, or a structured detail), which existing clients read.

An error class fixes its status and says, once, what that status means (`ApiError`). Whatever
can raise one declares it: a dependency with `@raises(...)`, a route with
`responses=errors(...)`. `document_errors` then writes, for every operation, the error
responses of the dependencies it runs, so a dependency added to a route (authentication, a body
limit, a rate limit) documents its statuses wherever it is used, and no route lists them by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, ClassVar, TypeVar

from fastapi import FastAPI, HTTPException, Request, status
from fastapi.dependencies.models import Dependant
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute, APIRouter
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

F = TypeVar("F", bound=Callable[..., Any])
_DECLARED = "__ero_errors__"


class ErrorBody(BaseModel):
    """What every 4xx and 5xx answers."""

    code: str = Field(description="Stable identifier of the error, for programs")
    fr: str = Field(description="What happened and what to do, in French")
    en: str = Field(description="The same in English")
    detail: str | dict[str, Any] | list[Any] = Field(
        description="As the first API version answered: the English text, or a structured detail"
    )


class FieldIssue(BaseModel):
    """One invalid field, as FastAPI reports it."""

    model_config = ConfigDict(extra="allow")

    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorBody(ErrorBody):
    """A 422: `detail` lists every invalid field (`loc` names it: query, path, header, body)."""

    detail: list[FieldIssue]


class ApiError(HTTPException):
    """An error a route or a dependency raises on purpose. The class fixes the status and what
    the OpenAPI says of it; the instance, its stable code and its text in both languages."""

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
        detail: str | dict[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(self.status, detail=en if detail is None else detail, headers=headers)
        self.code = code
        self.fr = fr
        self.en = en

    def body(self) -> ErrorBody:
        return ErrorBody(code=self.code, fr=self.fr, en=self.en, detail=self.detail)


class BadRequest(ApiError):
    status = status.HTTP_400_BAD_REQUEST
    description = "The body cannot be read (not the JSON or NDJSON it must be)"


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


def invalid(where: str, field: str, message: str) -> RequestValidationError:
    """A 422 naming the field, shaped like FastAPI's own validation errors."""
    return RequestValidationError([{"loc": (where, field), "msg": message, "type": "value_error"}])


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


def _takes_input(route: APIRoute) -> bool:
    return route.body_field is not None or any(
        d.path_params or d.query_params or d.header_params or d.cookie_params
        for d in (route.dependant, *_dependencies(route.dependant))
    )


def document_errors(router: APIRouter) -> APIRouter:
    """Writes into each of the router's routes the errors its dependencies declare, the 422 of
    any operation that takes input (in the shape the handlers answer), and the route's response
    model for a success status it declares without one (a 202 "not yet visible", say).
    Call before the router is included in the app (an app copies what it includes); calling it
    again changes nothing."""
    for route in router.routes:
        if not isinstance(route, APIRoute):
            continue
        for kind in _declared(route):
            route.responses.setdefault(kind.status, _response(kind))
        if _takes_input(route):
            route.responses.setdefault(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                {
                    "model": ValidationErrorBody,
                    "description": "A parameter or the body is invalid: `detail` names each field",
                },
            )
        for code, response in route.responses.items():
            if int(code) < 300 and "model" not in response and route.response_model is not None:
                response["model"] = route.response_model
    return router


_GENERIC: dict[int, tuple[str, str, str]] = {
    400: ("bad_request", "Requête illisible.", "Bad request."),
    401: ("unauthorized", "Identifiants manquants ou inconnus.", "Missing or unknown credentials."),
    403: ("forbidden", "Accès refusé.", "Forbidden."),
    404: ("not_found", "Introuvable.", "Not found."),
    405: ("method_not_allowed", "Méthode non permise.", "Method not allowed."),
    409: ("conflict", "Conflit avec l’état actuel.", "Conflict with the current state."),
    413: ("content_too_large", "Requête trop volumineuse.", "Content too large."),
    429: ("too_many_requests", "Trop de requêtes : réessayez plus tard.", "Too many requests."),
    503: ("unavailable", "Service momentanément indisponible.", "Service unavailable."),
}


def _generic(exc: StarletteHTTPException) -> ErrorBody:
    """An HTTP error raised without its own code and French text (Starlette's 404 and 405, a
    plain HTTPException): the status's code and French sentence, its own English text."""
    code, fr, en = _GENERIC.get(exc.status_code, (f"http_{exc.status_code}", "Erreur.", "Error."))
    detail = exc.detail
    return ErrorBody(
        code=code,
        fr=fr,
        en=detail if isinstance(detail, str) else en,
        detail=detail if isinstance(detail, str | dict | list) else en,
    )


async def http_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code < 400 or exc.status_code in (204, 304):
        return Response(status_code=exc.status_code, headers=headers)
    body = exc.body() if isinstance(exc, ApiError) else _generic(exc)
    return JSONResponse(jsonable_encoder(body), status_code=exc.status_code, headers=headers)


async def validation_failed(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    issues = jsonable_encoder(exc.errors())
    fields = ", ".join(".".join(str(part) for part in issue["loc"]) for issue in issues[:5])
    first = issues[0]["msg"] if issues else "invalid request"
    body = ValidationErrorBody(
        code="invalid_request",
        fr=f"Requête invalide : vérifiez {fields}.",
        en=f"Invalid request: {fields}: {first}",
        detail=issues,
    )
    return JSONResponse(jsonable_encoder(body), status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)


def install_error_handlers(app: FastAPI) -> None:
    """Every error the app answers, in the one shape the OpenAPI documents."""
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_failed)
