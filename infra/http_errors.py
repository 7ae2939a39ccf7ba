"""HTTP errors shared by every router."""

from __future__ import annotations

from fastapi.exceptions import RequestValidationError


def invalid(where: str, field: str, message: str) -> RequestValidationError:
    """A 422 naming the field, shaped like FastAPI's own validation errors."""
    return RequestValidationError([{"loc": (where, field), "msg": message, "type": "value_error"}])
