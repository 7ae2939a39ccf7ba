"""A licence's team through the running pipeline and real e-mails: its owner invites someone
(who creates their password from the e-mail and holds the licence), changes their role, removes
them; a licence always keeps an owner; the audit names who did each."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.support.accounts import (
    link_in,
    login,
    mails_to,
    new_email,
    operator,
    person,
    session_client,
    text_of,
    token_of,
)
from tests.support.pipeline import Pipeline
from tests.support.receivers import SmtpServer

pytestmark = pytest.mark.pipeline


def _licence(pipeline: Pipeline) -> tuple[str, str]:
    name = f"Boutique {uuid.uuid4().hex[:6]}"
    return pipeline.create_licence(name).licence_id, name


def test_an_owner_invites_changes_and_removes_someone(
    pipeline: Pipeline, smtp_server: SmtpServer
) -> None:
    licence_id, licence_name = _licence(pipeline)
    owner = person(pipeline, smtp_server, licence_id, "owner")
    invitee = new_email("invitee")
    with session_client(pipeline, owner) as client:
        assert [(m["user_id"], m["role"]) for m in client.get("/v1/team").json()] == [
            (owner.user_id, "owner")
        ]
        invited = client.post(
            "/v1/team", json={"email": invitee, "name": "Paul Martin", "role": "member"}
        )
        assert invited.status_code == 201, invited.text
        paul = invited.json()
        assert (paul["email"], paul["name"], paul["role"], paul["added_by"]) == (
            invitee,
            "Paul Martin",
            "member",
            owner.email,
        )
        mail = text_of(mails_to(smtp_server, invitee)[-1])
        assert licence_name in mail
        assert owner.email in mail, "the invitation names who invites"

        password = "une phrase de passe pour Paul"
        created = httpx.post(
            f"{pipeline.url}/v1/auth/password",
            json={"token": token_of(link_in(smtp_server, invitee)), "password": password},
            timeout=30,
        )
        assert created.status_code == 204, created.text
        signed = login(pipeline, invitee, password)
        assert [(h["licence_id"], h["role"]) for h in signed.json()["licences"]] == [
            (licence_id, "member")
        ]
        paul_session = {"Authorization": f"Bearer {signed.json()['session_token']}"}
        with httpx.Client(base_url=pipeline.url, headers=paul_session, timeout=30) as as_paul:
            assert as_paul.post("/v1/actions", json={"action": "clear_cache"}).status_code == 201

            again = client.post("/v1/team", json={"email": invitee.upper(), "role": "viewer"})
            assert again.status_code == 409
            assert again.json()["detail"]["code"] == "already_member"

            changed = client.put(f"/v1/team/{paul['user_id']}", json={"role": "viewer"})
            assert changed.status_code == 200, changed.text
            assert changed.json()["role"] == "viewer"
            refused = as_paul.post("/v1/tickets", json={"subject": "s", "message": "m"})
            assert refused.status_code == 403, "the new role applies at once"
            assert refused.json()["detail"]["code"] == "role_forbidden"

            removed = client.delete(f"/v1/team/{paul['user_id']}")
            assert removed.status_code == 204, removed.text
            assert as_paul.get("/v1/dashboard").status_code == 403
        assert [m["user_id"] for m in client.get("/v1/team").json()] == [owner.user_id]
        gone = client.delete(f"/v1/team/{paul['user_id']}")
        assert gone.status_code == 404
        assert gone.json()["detail"]["code"] == "member_not_found"

        audit = client.get("/v1/audit", params={"entity": "member"}).json()["items"]
        mine = [(e["kind"], e["actor"]) for e in audit if e["entity_id"] == paul["user_id"]]
        assert mine == [
            ("member.removed", owner.email),
            ("member.updated", owner.email),
            ("member.added", owner.email),
        ]


def test_a_licence_keeps_an_owner(pipeline: Pipeline, smtp_server: SmtpServer) -> None:
    licence_id, _ = _licence(pipeline)
    first = person(pipeline, smtp_server, licence_id, "owner")
    with session_client(pipeline, first) as client:
        for refused in (
            client.put(f"/v1/team/{first.user_id}", json={"role": "member"}),
            client.delete(f"/v1/team/{first.user_id}"),
        ):
            assert refused.status_code == 409, refused.text
            detail = refused.json()["detail"]
            assert detail["code"] == "last_owner"
            assert "dernier propriétaire" in detail["fr"]
            assert "last owner" in detail["en"]
        second = client.post("/v1/team", json={"email": new_email("second"), "role": "owner"})
        assert second.status_code == 201, second.text
        stepped_down = client.put(f"/v1/team/{first.user_id}", json={"role": "member"})
        assert stepped_down.status_code == 200, stepped_down.text
        now_member = client.put(f"/v1/team/{second.json()['user_id']}", json={"role": "viewer"})
        assert now_member.status_code == 403
        assert now_member.json()["detail"]["code"] == "role_forbidden"
    roles = {m["user_id"]: m["role"] for m in _team_seen_by_the_operator(pipeline, licence_id)}
    assert roles == {first.user_id: "member", second.json()["user_id"]: "owner"}


def _team_seen_by_the_operator(pipeline: Pipeline, licence_id: str) -> list[dict[str, str]]:
    with operator(pipeline) as client:
        answer = client.get(f"/v1/admin/licences/{licence_id}/members")
    assert answer.status_code == 200, answer.text
    found: list[dict[str, str]] = answer.json()
    return found


def test_two_owners_demoting_each_other_at_once_leave_one_owner(
    pipeline: Pipeline, smtp_server: SmtpServer
) -> None:
    licence_id, _ = _licence(pipeline)
    first = person(pipeline, smtp_server, licence_id, "owner")
    second = person(pipeline, smtp_server, licence_id, "owner")
    with (
        session_client(pipeline, first) as as_first,
        session_client(pipeline, second) as as_second,
        ThreadPoolExecutor(2) as pool,
    ):
        answers = list(
            pool.map(
                lambda call: call[0].put(f"/v1/team/{call[1]}", json={"role": "member"}),
                [(as_first, second.user_id), (as_second, first.user_id)],
            )
        )
    assert sorted(answer.status_code for answer in answers) == [200, 409], [
        answer.text for answer in answers
    ]
    roles = [m["role"] for m in _team_seen_by_the_operator(pipeline, licence_id)]
    assert sorted(roles) == ["member", "owner"]
