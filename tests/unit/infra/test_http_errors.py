"""Every error the API answers carries a stable code and its text in French and English; a 422
quotes a short excerpt of what was sent, whatever its size."""

from __future__ import annotations

import time
from typing import Annotated, Any

import pytest
from fastapi import FastAPI, HTTPException, Query
from fastapi.testclient import TestClient
from pydantic import BaseModel, ConfigDict, StringConstraints

from infra.http_errors import (
    EXCERPT_CHARS,
    ApiError,
    BadRequest,
    Conflict,
    ContentTooLarge,
    Forbidden,
    Gone,
    NotFound,
    TooManyRequests,
    Unauthorized,
    Unavailable,
    excerpt,
    invalid,
)
from infra.http_guards import BodyLimits, install_http_guards
from schemas import Level
from schemas.control import OneLine


def test_short_values_are_quoted_as_they_are() -> None:
    assert [excerpt(v) for v in (None, True, 1.5, 42, "court")] == [None, True, 1.5, 42, "court"]


def test_large_values_become_bounded_excerpts_in_bounded_time() -> None:
    huge = {"name": "n" * 30_000_000, "items": list(range(1_000_000)), "big": 10**5000}
    started = time.perf_counter()
    shown = [excerpt(huge), excerpt("x" * 30_000_000), excerpt(10**5000)]
    assert time.perf_counter() - started < 0.5  # echoing 30 MB takes longer; this takes ~1 ms
    assert all(isinstance(s, str) and len(s) <= EXCERPT_CHARS for s in shown)


def _app() -> FastAPI:
    """Routes raising each kind of error the API can answer, behind the app's own guards."""
    app = FastAPI()
    install_http_guards(app, BodyLimits(max_bytes=1024))

    @app.get("/api-error/{status}")
    async def api_error(status: int) -> None:
        kind = next(k for k in _KINDS if k.status == status)
        raise kind("kind_code", "En français.", "In English.")

    @app.get("/bare")
    async def bare() -> None:
        raise HTTPException(409, "Version mismatch")

    @app.get("/bug")
    async def bug() -> None:
        raise RuntimeError("boom")

    @app.get("/ours")
    async def ours() -> None:
        raise invalid("query", "until", "until must be after since", fr="la fin suit le début")

    @app.get("/halves")
    async def halves() -> None:
        raise invalid("query", "since", "au plus 31 jours / at most 31 days")

    @app.post("/body")
    async def body(item: _Item, limit: Annotated[int, Query(ge=1, le=10)] = 5) -> None:
        return None

    return app


class _Item(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(max_length=5)]
    level: Level
    subject: OneLine


_KINDS = (BadRequest, Unauthorized, Forbidden, NotFound, Conflict, Gone, ContentTooLarge,
          TooManyRequests, Unavailable)  # fmt: skip


def _said(detail: dict[str, Any]) -> None:
    assert detail["code"], detail
    assert detail["fr"], detail
    assert detail["en"], detail
    assert detail["fr"] != detail["en"], detail


@pytest.mark.parametrize("kind", _KINDS, ids=lambda kind: str(kind.status))
def test_every_error_raised_on_purpose_answers_its_code_in_both_languages(
    kind: type[ApiError],
) -> None:
    with TestClient(_app()) as client:
        answer = client.get(f"/api-error/{kind.status}")
    assert answer.status_code == kind.status
    said = {"code": "kind_code", "fr": "En français.", "en": "In English."}
    assert answer.json()["detail"] == said


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/nowhere", 404, "not_found"),
        ("DELETE", "/bare", 405, "method_not_allowed"),
        ("GET", "/bare", 409, "conflict"),
        ("GET", "/bug", 500, "internal_error"),
    ],
)
def test_errors_nobody_worded_answer_a_code_in_both_languages(
    method: str, path: str, status: int, code: str
) -> None:
    with TestClient(_app(), raise_server_exceptions=False) as client:
        answer = client.request(method, path)
    assert answer.status_code == status
    assert answer.json()["detail"]["code"] == code
    _said(answer.json()["detail"])
    if status == 409:
        assert answer.json()["detail"]["en"] == "Version mismatch", "its own words when it has some"


def test_a_body_past_the_limit_is_413_in_both_languages() -> None:
    with TestClient(_app()) as client:
        answer = client.post("/body", content=b"{" + b" " * 2000 + b"}")
    assert answer.status_code == 413
    assert answer.json()["detail"]["code"] == "body_too_large"
    _said(answer.json()["detail"])


@pytest.mark.parametrize(
    ("path", "body", "types"),
    [
        ("/body?limit=x", {"name": "n", "level": "error", "subject": "s"}, {"int_parsing"}),
        ("/body?limit=99", {"name": "n", "level": "error", "subject": "s"}, {"less_than_equal"}),
        ("/body", {"level": "rouge", "subject": "a\nb", "other": 1},
         {"missing", "enum", "one_line", "extra_forbidden"}),
        ("/body", {"name": "bien trop long", "level": "error", "subject": "s"},
         {"string_too_long"}),
        ("/body", "{not json", {"json_invalid"}),
        ("/ours", None, {"value_error"}),
        ("/halves", None, {"value_error"}),
    ],
)  # fmt: skip
def test_every_422_entry_says_what_is_wrong_in_french_and_english(
    path: str, body: Any, types: set[str]
) -> None:
    with TestClient(_app()) as client:
        if body is None:
            answer = client.get(path)
        elif isinstance(body, str):
            answer = client.post(path, content=body, headers={"Content-Type": "application/json"})
        else:
            answer = client.post(path, json=body)
    assert answer.status_code == 422
    entries = answer.json()["detail"]
    assert {entry["type"] for entry in entries} == types
    for entry in entries:
        assert entry["loc"], entry
        assert entry["ctx"]["fr"], entry
        assert entry["ctx"]["en"], entry
        assert entry["ctx"]["fr"] != entry["ctx"]["en"], entry
    if path == "/ours":
        said = {"fr": "la fin suit le début", "en": "until must be after since"}
        assert entries[0]["ctx"] == said
    if path == "/halves":
        assert entries[0]["ctx"] == {"fr": "au plus 31 jours", "en": "at most 31 days"}
