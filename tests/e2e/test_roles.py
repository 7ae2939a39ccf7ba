"""Roles are checked by the server, on every write: through the running pipeline, a viewer is
refused every write route a reader's credential reaches (the routes read from the app itself,
so a new one is tried too), while a member's writes go through."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import httpx
import pytest

from ero.api import create_api, read_only_state
from ero.settings import Settings
from infra.clickhouse import ClickHouse
from tests.support.pipeline import Pipeline
from tests.support.routes import Write, reader_writes

pytestmark = pytest.mark.pipeline


@pytest.fixture(scope="module")
def writes(clickhouse: ClickHouse) -> list[Write]:
    found = reader_writes(create_api(read_only_state(Settings(), clickhouse)).routes)
    assert len(found) >= 15, "the walk sees the routes"
    return found


def _token(pipeline: Pipeline, owner: httpx.Client, role: str) -> str:
    created = owner.post("/v1/keys", json={"kind": "token", "name": f"a {role}", "role": role})
    assert created.status_code == 201, created.text
    key: str = created.json()["key"]
    return key


@pytest.fixture
def owner(pipeline: Pipeline) -> Iterator[httpx.Client]:
    licence = pipeline.create_licence(f"roles {uuid.uuid4().hex[:6]}")
    with pipeline.client(licence.reader_token) as client:
        yield client


def _refused_everywhere(client: httpx.Client, writes: list[Write]) -> None:
    for write in writes:
        path = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), write.path)
        answer = client.request(write.method, path, json={})
        assert answer.status_code == 403, (write, answer.text)
        detail = answer.json()["detail"]
        assert detail["code"] == "role_forbidden", (write, detail)
        assert "lecteur" in detail["fr"]
        assert "viewer" in detail["en"]
        needed = {"owner": ("propriétaire", "owner"), "member": ("membre", "member")}
        assert write.needs is not None
        fr, en = needed[write.needs]
        assert f"il faut être {fr}" in detail["fr"]
        assert f"it needs {en}" in detail["en"]


def test_a_viewer_token_writes_nothing_a_member_token_queues_an_action(
    pipeline: Pipeline, owner: httpx.Client, writes: list[Write]
) -> None:
    with pipeline.client(_token(pipeline, owner, "viewer")) as viewer:
        assert viewer.get("/v1/actions").status_code == 200, "a viewer reads"
        _refused_everywhere(viewer, writes)
        assert viewer.get("/v1/actions").json() == []
    with pipeline.client(_token(pipeline, owner, "member")) as member:
        queued = member.post("/v1/actions", json={"action": "clear_cache"})
        assert queued.status_code == 201, queued.text
        assert queued.json()["created_by"] == "reader:a member"
        refused = member.put("/v1/account", json={"email": "a@b.example"})
        assert refused.status_code == 403
        assert refused.json()["detail"]["code"] == "role_forbidden"
    assert [a["status"] for a in owner.get("/v1/actions").json()] == ["pending"]
