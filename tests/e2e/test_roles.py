"""Roles are checked by the server, on every write: through the running pipeline, a viewer (a
person signed in, or a token) is refused every write route a reader's credential reaches (the
routes read from the app itself, so a new one is tried too), while a member's writes go through
and are named after them."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import httpx
import pytest

from ero.api import create_api, read_only_state
from ero.settings import Settings
from infra.clickhouse import ClickHouse
from licences import Credentials
from tests.support.accounts import person, session_client
from tests.support.pipeline import Pipeline
from tests.support.receivers import SmtpServer
from tests.support.routes import Write, reader_writes

pytestmark = pytest.mark.pipeline

NEEDED = {"owner": ("propriétaire", "owner"), "member": ("membre", "member")}


@pytest.fixture(scope="module")
def writes(clickhouse: ClickHouse) -> list[Write]:
    found = reader_writes(create_api(read_only_state(Settings(), clickhouse)).routes)
    assert len(found) >= 15, "the walk sees the routes"
    return found


@pytest.fixture
def licence(pipeline: Pipeline) -> Credentials:
    return pipeline.create_licence(f"roles {uuid.uuid4().hex[:6]}")


@pytest.fixture
def owner(pipeline: Pipeline, licence: Credentials) -> Iterator[httpx.Client]:
    """The licence's first reader token: an owner's."""
    with pipeline.client(licence.reader_token) as client:
        yield client


def _token(owner: httpx.Client, role: str) -> str:
    created = owner.post("/v1/keys", json={"kind": "token", "name": f"a {role}", "role": role})
    assert created.status_code == 201, created.text
    key: str = created.json()["key"]
    return key


def _refused_everywhere(client: httpx.Client, writes: list[Write]) -> None:
    """Every write, with an empty body and made-up ids: the role is refused before either is
    looked at."""
    for write in writes:
        path = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), write.path)
        answer = client.request(write.method, path, json={})
        assert answer.status_code == 403, (write, answer.text)
        detail = answer.json()["detail"]
        assert detail["code"] == "role_forbidden", (write, detail)
        assert write.needs is not None
        fr, en = NEEDED[write.needs]
        assert "(lecteur) ne permet pas" in detail["fr"]
        assert f"il faut être {fr}" in detail["fr"]
        assert f"(viewer) does not allow this: it needs {en}" in detail["en"]


def test_a_viewer_session_writes_nothing_a_member_queues_an_action(
    pipeline: Pipeline,
    smtp_server: SmtpServer,
    licence: Credentials,
    owner: httpx.Client,
    writes: list[Write],
) -> None:
    viewer = person(pipeline, smtp_server, licence.licence_id, "viewer")
    with session_client(pipeline, viewer) as client:
        assert client.get("/v1/actions").status_code == 200, "a viewer reads"
        assert client.get("/v1/team").status_code == 200
        _refused_everywhere(client, writes)
    member = person(pipeline, smtp_server, licence.licence_id, "member")
    with session_client(pipeline, member) as client:
        queued = client.post("/v1/actions", json={"action": "clear_cache"})
        assert queued.status_code == 201, queued.text
        assert queued.json()["created_by"] == member.email, "the person, by their e-mail"
        refused = client.put("/v1/account", json={"email": "a@b.example"})
        assert refused.status_code == 403
        assert refused.json()["detail"]["code"] == "role_forbidden"
    actions = owner.get("/v1/actions").json()
    assert [(a["status"], a["created_by"]) for a in actions] == [("pending", member.email)]
    audit = owner.get("/v1/audit", params={"entity": "action"}).json()["items"]
    assert [entry["actor"] for entry in audit] == [member.email]


def test_a_viewer_token_writes_nothing_a_member_token_does(
    pipeline: Pipeline, owner: httpx.Client, writes: list[Write]
) -> None:
    with pipeline.client(_token(owner, "viewer")) as viewer:
        _refused_everywhere(viewer, writes)
    with pipeline.client(_token(owner, "member")) as member:
        queued = member.post("/v1/actions", json={"action": "clear_cache"})
        assert queued.status_code == 201, queued.text
        assert queued.json()["created_by"] == "reader:a member"
