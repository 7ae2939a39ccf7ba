"""The vendor console's endpoints on a running pipeline, as an operator signed in with their own
account: every action they take is in the licence's audit under their name, a merchant's
notification carries both languages, and a signed-in person who is no operator is refused
(403, a code) on every console endpoint."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import pytest

from schemas import DeadLetter, FieldError
from tests.support.accounts import new_email, operator_person, person, session_client
from tests.support.factories import sync_line
from tests.support.kafka import produce
from tests.support.pipeline import Pipeline, wait_until
from tests.support.receivers import SmtpServer

pytestmark = pytest.mark.pipeline


def refused_by_an_older_gateway(pipeline: Pipeline, licence_id: str, message: str) -> None:
    """A dead letter the current schema accepts: a v2 line an older (v1) gateway refused."""
    line = sync_line(connector_id="shop-console", message=message, duration_ms=1200)
    letter = DeadLetter(
        licence_id=licence_id,
        received_at=datetime.now(UTC),
        source="http",
        line=3,
        raw=orjson.dumps(line).decode(),
        errors=[FieldError(field="duration_ms", reason="Extra inputs are not permitted")],
    )
    produce(
        pipeline.runtime["kafka_bootstrap"],
        "ero.events.dead-letter",
        licence_id.encode(),
        letter.model_dump_json().encode(),
    )


def letters(client: httpx.Client, licence_id: str) -> list[dict[str, Any]]:
    answer = client.get("/v1/admin/dead-letters", params={"licence_id": licence_id})
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()
    return found


def test_every_operator_action_is_audited_under_their_name(
    pipeline: Pipeline, smtp_server: SmtpServer
) -> None:
    operator = operator_person(pipeline, smtp_server)
    name = f"Boutique auditée {uuid.uuid4().hex[:6]}"
    title = f"Maintenance {uuid.uuid4().hex[:6]}"
    with session_client(pipeline, operator) as console:
        created = console.post("/v1/admin/licences", json={"name": name})
        assert created.status_code == 201, created.text
        licence_id = created.json()["licence_id"]
        for status in ("revoked", "active"):
            changed = console.post(
                f"/v1/admin/licences/{licence_id}/status", json={"status": status}
            )
            assert changed.status_code == 200, changed.text
        invited = console.post(
            f"/v1/admin/licences/{licence_id}/members",
            json={"email": new_email("attached"), "role": "member"},
        )
        assert invited.status_code == 201, invited.text
        published = console.post(
            "/v1/admin/notifications",
            json={"title": title, "body": "Ce soir.", "title_en": "Maintenance",
                  "body_en": "Tonight.", "licence_ids": [licence_id]},
        )  # fmt: skip
        assert published.status_code == 201, published.text
        refused_by_an_older_gateway(pipeline, licence_id, "Stock exporté (rejoué)")
        (letter,) = wait_until(lambda: letters(console, licence_id) or None)
        assert letter["licence_name"] == name
        replayed = console.post(
            "/v1/admin/dead-letters/replay", json={"letter_ids": [letter["letter_id"]]}
        )
        assert replayed.status_code == 200, replayed.text
        assert replayed.json()["outcomes"][0]["replayed"] is True

        audit = console.get(f"/v1/admin/licences/{licence_id}/audit")
        assert audit.status_code == 200, audit.text
        done = sorted((e["kind"], e["actor"]) for e in audit.json()["items"])
        assert done == sorted(
            (kind, operator.email)
            for kind in (
                "licence.created", "licence.status_set", "licence.status_set", "member.added",
                "notification.published", "dead_letter.replayed",
            )
        )  # fmt: skip
        statuses = [
            e["after"]["status"]
            for e in reversed(audit.json()["items"])
            if e["kind"] == "licence.status_set"
        ]
        assert statuses == ["revoked", "active"]

        journal = console.get("/v1/admin/audit")
        assert journal.status_code == 200, journal.text
        logged = [e for e in journal.json()["items"] if e["licence_id"] == licence_id]
        assert sorted(e["kind"] for e in logged) == [kind for kind, _ in done]
        assert {(e["actor"], e["licence_name"]) for e in logged} == {(operator.email, name)}

        listed = console.get("/v1/admin/notifications").json()
        mine = next(
            n for n in listed if n["notification_id"] == published.json()["notification_id"]
        )
        assert mine["published_by"] == operator.email
        assert mine["licences"] == [{"licence_id": licence_id, "name": name}]
        assert mine["everyone"] is False
        found = console.get("/v1/admin/licences", params={"q": name}).json()["items"]
        assert [(item["name"], item["status"]) for item in found] == [(name, "active")]

    merchant = person(pipeline, smtp_server, licence_id)
    with session_client(pipeline, merchant) as shop:
        feed = shop.get("/v1/notifications").json()["items"]
        assert [(n["title"], n["body_en"]) for n in feed if n["title"] == title] == [
            (title, "Tonight.")
        ]


ROUTES = [
    ("GET", "/v1/admin/licences"),
    ("GET", f"/v1/admin/licences/{uuid.uuid4()}"),
    ("GET", "/v1/admin/groups"),
    ("GET", "/v1/admin/groups/42"),
    ("GET", "/v1/admin/notifications"),
    ("GET", "/v1/admin/audit"),
    ("GET", "/v1/admin/dead-letters"),
    ("POST", "/v1/admin/notifications"),
    ("POST", f"/v1/admin/licences/{uuid.uuid4()}/status"),
]


def test_a_merchant_is_refused_every_console_endpoint(
    pipeline: Pipeline, smtp_server: SmtpServer
) -> None:
    licence = pipeline.create_licence("pas une opératrice")
    with session_client(pipeline, person(pipeline, smtp_server, licence.licence_id)) as merchant:
        for method, path in ROUTES:
            answer = merchant.request(method, path, json={} if method == "POST" else None)
            assert answer.status_code == 403, (path, answer.text)
            detail = answer.json()["detail"]
            assert detail["code"] == "operator_required", path
            assert detail["fr"].startswith("Réservé à l’équipe de l’éditeur"), path
    with pipeline.client(licence.reader_token) as reader:
        assert reader.get("/v1/admin/licences").status_code == 401
