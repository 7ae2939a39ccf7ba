"""HTTP errors shared by every router, and the one handler of every 422.

An error a client can act on carries a stable `code` and its text in French and English
(`http_error`). A 422 names where the problem is and quotes at most a short excerpt of what was
sent: a 30 MB body answered by a 30 MB echo would cost both sides for nothing, and would copy
back whatever secret the body held.
"""

from __future__ import annotations

import reprlib
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

EXCERPT_CHARS = 120
"""What a 422 quotes of an input at most."""
MAX_ERRORS = 50
"""What a 422 lists at most (a body of 10 000 bad items names the first ones, and a count)."""


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


def error_detail(code: str, fr: str, en: str) -> dict[str, str]:
    return {"code": code, "fr": fr, "en": en}


def http_error(
    status_code: int, code: str, fr: str, en: str, headers: Mapping[str, str] | None = None
) -> HTTPException:
    """An error with a stable code (what a program tests) and a text per language."""
    return HTTPException(
        status_code, detail=error_detail(code, fr, en), headers=dict(headers or {}) or None
    )


def excerpt(value: Any) -> Any:
    """`value` itself when it is short, else a bounded textual excerpt of it (bounded in time
    too: reprlib stops at its limits, whatever the size of `value`)."""
    if value is None or isinstance(value, bool | float):
        return value
    if isinstance(value, int):
        return value if abs(value) < 10**15 else _EXCERPT.repr(value)
    if isinstance(value, str):
        return value if len(value) <= EXCERPT_CHARS else value[: EXCERPT_CHARS - 1] + "…"
    text = _EXCERPT.repr(value)
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"


def _shown(error: Mapping[str, Any]) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "type": error.get("type", "value_error"),
        "loc": list(error.get("loc", ())),
        "msg": excerpt(str(error.get("msg", ""))),
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


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, validation_error)
