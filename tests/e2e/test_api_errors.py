"""Every kind of error the running API answers carries a stable code and its text in French and
English, so that a page never shows a merchant raw English: an error's `detail` is
`{code, fr, en}`, each entry of a 422 names its field, its `type` (the code) and `ctx.fr` /
`ctx.en` (pydantic's own `msg` is English only)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.support.pipeline import Pipeline

pytestmark = pytest.mark.pipeline


def _said(answer: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    detail: dict[str, Any] = answer.json()["detail"]
    assert detail["code"] == code if code else detail["code"], detail
    assert detail["fr"], detail
    assert detail["en"], detail
    assert detail["fr"] != detail["en"], detail
    return detail


def _entries(answer: httpx.Response, types: set[str]) -> list[dict[str, Any]]:
    assert answer.status_code == 422, answer.text
    entries: list[dict[str, Any]] = answer.json()["detail"]
    assert {entry["type"] for entry in entries} == types
    for entry in entries:
        assert entry["loc"], entry
        assert entry["ctx"]["fr"], entry
        assert entry["ctx"]["en"], entry
        assert entry["ctx"]["fr"] != entry["ctx"]["en"], entry
    return entries


def test_every_kind_of_error_answers_a_code_in_french_and_english(pipeline: Pipeline) -> None:
    licence = pipeline.create_licence("errors in two languages")
    with httpx.Client(base_url=pipeline.url, timeout=30) as anonymous:
        _said(anonymous.get("/v1/dashboard"), 401)
        _said(anonymous.get("/v1/nowhere"), 404, "not_found")
        _said(anonymous.delete("/v1/dashboard"), 405, "method_not_allowed")
    with pipeline.client(licence.connector_key) as connector:
        _said(connector.get("/v1/dashboard"), 403)
        _said(
            connector.post(
                "/v1/events", content=b"{not json", headers={"Content-Type": "application/json"}
            ),
            400,
            "malformed_body",
        )
    with pipeline.client(licence.reader_token) as reader:
        _said(reader.get(f"/v1/configurations/{uuid.uuid4()}"), 404)
        _said(reader.post("/v1/actions", content=b"x" * (3 * 1024 * 1024)), 413, "body_too_large")

        _entries(reader.get("/v1/reports", params={"limit": "beaucoup"}), {"int_parsing"})
        _entries(reader.get("/v1/dashboard", params={"window": "1 an"}), {"enum"})
        (wrong_way,) = _entries(
            reader.get(
                "/v1/reports",
                params={"since": "2026-11-02T00:00:00+00:00", "until": "2026-11-01T00:00:00+00:00"},
            ),
            {"value_error"},
        )
        assert wrong_way["loc"] == ["query", "until"]
        _entries(reader.post("/v1/actions", json={"action": "reboot_pc"}), {"enum"})
        _entries(
            reader.post(
                "/v1/actions", content=b"{oops", headers={"Content-Type": "application/json"}
            ),
            {"json_invalid"},
        )
        _entries(reader.post("/v1/actions", json={"action": "reimport_order"}), {"value_error"})
        _entries(
            reader.post("/v1/tickets", json={"subject": "deux\nlignes", "message": "Bonjour"}),
            {"one_line"},
        )

        ticket = {"subject": "Aide", "message": "Bonjour", "email": "marchand@example.fr"}
        answers = [reader.post("/v1/tickets", json=ticket) for _ in range(8)]
        limited = next(a for a in answers if a.status_code == 429)
        _said(limited, 429, "rate_limited")
        assert int(limited.headers["Retry-After"]) >= 1
