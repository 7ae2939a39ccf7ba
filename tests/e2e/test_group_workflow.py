"""An error group's workflow through the running pipeline: resolved groups leave the default
views and come back as regressed with a later event, ignored ones come back after their events
or their duration, comments and changes are in the group's history under the person's name, a
viewer changes nothing and one licence never touches another's groups."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from licences import Credentials
from tests.support.accounts import Person, person, session_client
from tests.support.pipeline import Pipeline, wait_until
from tests.support.receivers import SmtpServer

pytestmark = pytest.mark.pipeline


def _event(message: str, minutes_ago: int = 0) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "connector_id": "shop-1",
        "occurred_at": (datetime.now(UTC) - timedelta(minutes=minutes_ago)).isoformat(),
        "operation": "order.import",
        "reference": f"WC-{uuid.uuid4().int % 10_000}",
        "status": "error",
        "message": message,
    }


# Rules no other test ranks the fleet by: every licence of the suite shares the fleet's groups.
DORMANT = "Le tiers CL{} est en sommeil dans la gestion commerciale"
NEGATIVE_STOCK = "Quantité en stock négative pour l'article PORTE-CLES"
UNKNOWN_COUNTRY = "Pays inconnu dans la gestion commerciale : XZ"


def _send(pipeline: Pipeline, licence: Credentials, *events: dict[str, Any]) -> None:
    with pipeline.client(licence.connector_key) as connector:
        assert connector.post("/v1/events", json=list(events)).status_code == 202


def _groups(client: httpx.Client, state: str | None = None) -> dict[str, dict[str, Any]]:
    answer = client.get("/v1/groups", params={"state": state} if state else {})
    assert answer.status_code == 200, answer.text
    return {g["sample_message"].split(" ")[0]: g for g in answer.json()["groups"]}


def _post(client: httpx.Client, fingerprint: str, what: str, **body: Any) -> dict[str, Any]:
    answer = client.post(f"/v1/groups/{fingerprint}/{what}", json=body)
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


@pytest.fixture
def licence(pipeline: Pipeline) -> Credentials:
    return pipeline.create_licence(f"workflow {uuid.uuid4().hex[:6]}")


@pytest.fixture
def member(pipeline: Pipeline, smtp_server: SmtpServer, licence: Credentials) -> Person:
    return person(pipeline, smtp_server, licence.licence_id, "member")


def test_resolved_groups_leave_the_views_and_regress_with_a_new_event(
    pipeline: Pipeline, licence: Credentials, member: Person
) -> None:
    _send(pipeline, licence, _event(DORMANT.format(1), 5), _event(DORMANT.format(2), 4),
          _event(NEGATIVE_STOCK, 3))  # fmt: skip
    with session_client(pipeline, member) as client:
        groups = wait_until(lambda: g if len(g := _groups(client)) == 2 else None)
        missing = groups["Le"]
        assert missing["state"] == "open"
        resolved = _post(client, missing["fingerprint"], "resolve")
        assert resolved["state"] == "resolved"

        assert set(_groups(client)) == {"Quantité"}, "a resolved group leaves the default view"
        shown = _groups(client, "resolved")
        assert set(shown) == {"Le"}
        assert shown["Le"]["state"] == "resolved"
        assert set(_groups(client, "all")) == {"Le", "Quantité"}
        board = client.get("/v1/dashboard").json()
        assert [g["message"].split(" ")[0] for g in board["top_error_groups"]] == ["Quantité"]
        assert {g["state"] for g in board["top_error_groups"]} == {"open"}

        _send(pipeline, licence, _event(DORMANT.format(3)))
        again = wait_until(lambda: _groups(client).get("Le"))
        assert again["state"] == "regressed"
        assert again["count"] == 3
        assert _groups(client, "resolved") == {}
        board = client.get("/v1/dashboard").json()
        regressed = [g for g in board["top_error_groups"] if g["state"] == "regressed"]
        assert [g["fingerprint"] for g in regressed] == [missing["fingerprint"]]

        assert _post(client, missing["fingerprint"], "reopen")["state"] == "open"
        assert _groups(client)["Le"]["state"] == "open"


def test_an_ignored_group_comes_back_after_more_than_its_events_or_its_duration(
    pipeline: Pipeline, licence: Credentials, member: Person
) -> None:
    _send(pipeline, licence, _event(NEGATIVE_STOCK, 3), _event(UNKNOWN_COUNTRY, 2))
    with session_client(pipeline, member) as client:
        groups = wait_until(lambda: g if len(g := _groups(client)) == 2 else None)
        timeout, quota = groups["Quantité"], groups["Pays"]
        ignored = _post(client, timeout["fingerprint"], "ignore", until_events=2)
        assert (ignored["state"], ignored["ignore_events"]) == ("ignored", 2)
        assert "Quantité" not in _groups(client)

        _send(pipeline, licence, _event(NEGATIVE_STOCK), _event(NEGATIVE_STOCK))
        counted = wait_until(
            lambda: g if (g := _groups(client, "all")["Quantité"])["count"] == 3 else None
        )
        assert counted["state"] == "ignored", "two more events: not more than 2"
        assert set(_groups(client, "ignored")) == {"Quantité"}
        assert "Quantité" not in _groups(client)

        _send(pipeline, licence, _event(NEGATIVE_STOCK))
        # The state may be read from sync_events a moment before the rollup counts the event.
        back = wait_until(
            lambda: g if (g := _groups(client).get("Quantité")) and g["count"] == 4 else None
        )
        assert back["state"] == "open"

        for_a_while = _post(client, quota["fingerprint"], "ignore", for_seconds=10)
        assert for_a_while["ignore_until"] is not None
        assert "Pays" not in _groups(client)
        assert wait_until(lambda: _groups(client).get("Pays"))["state"] == "open"


def test_comments_and_changes_are_the_groups_history_under_the_persons_name(
    pipeline: Pipeline, smtp_server: SmtpServer, licence: Credentials, member: Person
) -> None:
    _send(pipeline, licence, _event(NEGATIVE_STOCK, 2))
    with session_client(pipeline, member) as client:
        fingerprint = wait_until(lambda: _groups(client).get("Quantité"))["fingerprint"]
        assert client.get(f"/v1/groups/{fingerprint}/history").json()["entries"] == []
        _post(client, fingerprint, "resolve")
        commented = _post(client, fingerprint, "comments", text="  Base EBP redémarrée  ")
        assert commented["state"] == "resolved", "a comment keeps the state"
        too_long = client.post(f"/v1/groups/{fingerprint}/comments", json={"text": "x" * 2001})
        assert too_long.status_code == 422
        history = client.get(f"/v1/groups/{fingerprint}/history").json()
    entries = history["entries"]
    assert [(e["change"], e["state"], e["comment"]) for e in entries] == [
        ("commented", "resolved", "Base EBP redémarrée"),
        ("resolved", "resolved", None),
    ]
    assert {e["by"] for e in entries} == {member.email}
    assert entries[0]["at"] >= entries[1]["at"]
    assert history["next_before"] is None

    with pipeline.client(licence.reader_token) as owner:
        page = owner.get(f"/v1/groups/{fingerprint}/history", params={"limit": 1}).json()
    assert [e["change"] for e in page["entries"]] == ["commented"]
    assert page["next_before"] == entries[0]["revision"]

    viewer = person(pipeline, smtp_server, licence.licence_id, "viewer")
    with session_client(pipeline, viewer) as client:
        refused = client.post(f"/v1/groups/{fingerprint}/reopen")
        assert refused.status_code == 403
        assert refused.json()["detail"]["code"] == "role_forbidden"
        assert client.get(f"/v1/groups/{fingerprint}/history").status_code == 200


def test_a_licence_never_touches_another_licences_groups(
    pipeline: Pipeline, licence: Credentials, member: Person
) -> None:
    _send(pipeline, licence, _event(UNKNOWN_COUNTRY, 2))
    with session_client(pipeline, member) as client:
        fingerprint = wait_until(lambda: _groups(client).get("Pays"))["fingerprint"]
        _post(client, fingerprint, "comments", text="seulement chez nous")
    other = pipeline.create_licence(f"workflow other {uuid.uuid4().hex[:6]}")
    with pipeline.client(other.reader_token) as client:
        for what, body in [("resolve", None), ("ignore", {"for_seconds": 60}),
                           ("reopen", None), ("comments", {"text": "chez eux"})]:  # fmt: skip
            answer = client.post(f"/v1/groups/{fingerprint}/{what}", json=body)
            assert answer.status_code == 404, (what, answer.text)
            detail = answer.json()["detail"]
            assert detail["code"] == "group_not_found"
            assert detail["fr"]
            assert detail["en"]
        assert client.get(f"/v1/groups/{fingerprint}/history").json()["entries"] == []
    with session_client(pipeline, member) as client:
        history = client.get(f"/v1/groups/{fingerprint}/history").json()
    assert [e["comment"] for e in history["entries"]] == ["seulement chez nous"]
