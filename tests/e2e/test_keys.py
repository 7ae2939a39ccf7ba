"""The account page's « Clés et jetons » through the running pipeline: an owner lists, creates
(the key is shown once) and revokes the licence's keys; a revoked key is refused at once."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from licences import Credentials
from licences.store import hash_key
from tests.support.pipeline import Pipeline

pytestmark = pytest.mark.pipeline


@pytest.fixture
def licence(pipeline: Pipeline) -> Credentials:
    return pipeline.create_licence(f"keys {uuid.uuid4().hex[:6]}")


@pytest.fixture
def owner(pipeline: Pipeline, licence: Credentials) -> Iterator[httpx.Client]:
    with pipeline.client(licence.reader_token) as client:
        yield client


def test_an_owner_creates_lists_and_revokes_keys(
    pipeline: Pipeline, licence: Credentials, owner: httpx.Client
) -> None:
    first = owner.get("/v1/keys")
    assert first.status_code == 200, first.text
    assert sorted((k["kind"], k["role"]) for k in first.json()) == [
        ("connector", None),
        ("token", "owner"),
    ]
    created = owner.post("/v1/keys", json={"kind": "connector", "name": "Poste de la caisse"})
    assert created.status_code == 201, created.text
    new = created.json()
    assert new["key"].startswith("eck_")
    assert (new["kind"], new["name"], new["role"], new["revoked_at"]) == (
        "connector",
        "Poste de la caisse",
        None,
        None,
    )
    with pipeline.client(new["key"]) as connector:
        assert connector.post("/v1/agent/sync", json={"pc_key": "PC-0001-AAAA"}).status_code == 200

        listed = owner.get("/v1/keys").json()
        assert [k["key_id"] for k in listed][-1] == new["key_id"]
        text = str(listed)
        for key in (new["key"], licence.reader_token, licence.connector_key):
            assert key not in text
            assert hash_key(key) not in text
        assert all("key" not in k for k in listed)

        revoked = owner.delete(f"/v1/keys/{new['key_id']}")
        assert revoked.status_code == 200, revoked.text
        assert revoked.json()["revoked_at"] is not None
        refused = connector.post("/v1/agent/sync", json={"pc_key": "PC-0001-AAAA"})
        assert refused.status_code == 401
        assert refused.json()["detail"]["code"] == "unknown_key"
    with pipeline.client(licence.connector_key) as first_connector:  # the others still work
        answer = first_connector.post("/v1/agent/sync", json={"pc_key": "PC-0001-AAAA"})
        assert answer.status_code == 200


def test_only_an_owner_manages_keys(pipeline: Pipeline, owner: httpx.Client) -> None:
    member = owner.post("/v1/keys", json={"kind": "token", "name": "script", "role": "member"})
    assert member.status_code == 201
    with pipeline.client(member.json()["key"]) as client:
        for method, path in (("GET", "/v1/keys"), ("POST", "/v1/keys")):
            answer = client.request(method, path, json={"kind": "token", "name": "mine"})
            assert answer.status_code == 403, answer.text
            assert answer.json()["detail"]["code"] == "role_forbidden"
    viewer = owner.post("/v1/keys", json={"kind": "token", "name": "tableau"})
    assert viewer.json()["role"] == "viewer", "a token is a viewer unless said otherwise"


def test_bad_key_requests(owner: httpx.Client, licence: Credentials) -> None:
    with_role = owner.post("/v1/keys", json={"kind": "connector", "name": "x", "role": "owner"})
    assert with_role.status_code == 422
    assert with_role.json()["detail"][0]["loc"] == ["body", "role"]
    two_lines = owner.post("/v1/keys", json={"kind": "token", "name": "a\nb"})
    assert two_lines.status_code == 422
    unknown = owner.delete("/v1/keys/000000000000")
    assert unknown.status_code == 404
    assert unknown.json()["detail"]["code"] == "key_not_found"
    assert set(unknown.json()["detail"]) == {"code", "fr", "en"}
