"""Operators and a licence's owner, through the running pipeline, the CLI and real e-mails: a
licence created with its owner's e-mail, a licence's team as the operator sees it, operators
who are accounts (signed in, they pass every operator route and the audit names them), and what
no operator ever sees."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import httpx
import pytest

from schemas.accounts import ACCOUNTS
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

PASSWORD = "une phrase de passe d’opératrice"


def test_a_licence_created_with_its_owner(pipeline: Pipeline, smtp_server: SmtpServer) -> None:
    email = new_email("owner")
    name = f"Boutique Martin {uuid.uuid4().hex[:6]}"
    done = pipeline.ero("licence", "create", name, "--owner", email)
    assert done.returncode == 0, done.stderr
    assert f"owner          {email} (invited by e-mail)" in done.stdout
    found = re.search(r"^licence_id\s+(\S+)$", done.stdout, re.M)
    assert found, done.stdout
    licence_id = found.group(1)
    link_in(smtp_server, email)
    assert name in text_of(mails_to(smtp_server, email)[-1])

    with operator(pipeline) as client:
        team = client.get(f"/v1/admin/licences/{licence_id}/members")
        assert team.status_code == 200, team.text
        assert [(m["email"], m["role"], m["added_by"]) for m in team.json()] == [
            (email, "owner", "operator")
        ]
        again = client.post(
            f"/v1/admin/licences/{licence_id}/members", json={"email": email, "role": "viewer"}
        )
        assert again.status_code == 409
        assert again.json()["detail"]["code"] == "already_member"
        for licence in (str(uuid.uuid4()), ACCOUNTS):
            assert client.get(f"/v1/admin/licences/{licence}/members").status_code == 404
            added = client.post(
                f"/v1/admin/licences/{licence}/members",
                json={"email": new_email(), "role": "owner"},
            )
            assert added.status_code == 404
            assert added.json()["detail"]["code"] == "licence_not_found"


def test_an_owner_needs_the_running_pipeline(tmp_path: Path) -> None:
    offline = Pipeline(tmp_path)
    done = offline.ero("licence", "create", "hors ligne", "--owner", "a@b.example")
    assert done.returncode == 2
    assert done.stderr.startswith("ero: error: --owner needs the running pipeline")
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "clickhouse").exists(), "nothing was written"


def test_an_operator_is_an_account(pipeline: Pipeline, smtp_server: SmtpServer) -> None:
    email = new_email("operator")
    done = pipeline.ero("operator", "create", email, "--name", "Claire Vendeur")
    assert done.returncode == 0, done.stderr
    assert f"{email} is an operator" in done.stdout
    created = httpx.post(
        f"{pipeline.url}/v1/auth/password",
        json={"token": token_of(link_in(smtp_server, email)), "password": PASSWORD},
        timeout=30,
    )
    assert created.status_code == 204, created.text
    signed = login(pipeline, email, PASSWORD)
    assert signed.status_code == 200, signed.text
    claire = f"Claire Vendeur <{email}>"
    session = {"Authorization": f"Bearer {signed.json()['session_token']}"}
    with httpx.Client(base_url=pipeline.url, headers=session, timeout=30) as client:
        assert client.get("/v1/admin/dead-letters/counts").status_code == 200
        licence = client.post("/v1/admin/licences", json={"name": "ouverte par Claire"})
        assert licence.status_code == 201, licence.text
        licence_id = licence.json()["licence_id"]
        expired = client.post(f"/v1/admin/licences/{licence_id}/status", json={"status": "expired"})
        assert expired.status_code == 200, expired.text
        published = client.post(
            "/v1/admin/notifications",
            json={"title": "Maintenance", "body": "Ce soir.", "licence_ids": [licence_id]},
        )
        assert published.status_code == 201, published.text
        audit = client.get(f"/v1/admin/licences/{licence_id}/audit")
        assert audit.status_code == 200, audit.text
        actors = {(e["kind"], e["actor"]) for e in audit.json()["items"]}
        assert actors == {
            ("licence.created", claire),
            ("licence.status_set", claire),
            ("notification.published", claire),
        }
        accounts = client.get(f"/v1/admin/licences/{ACCOUNTS}/audit")
        assert accounts.status_code == 404, "no operator reads people's accounts"
        assert email not in accounts.text

    merchant_licence = pipeline.create_licence("a merchant's").licence_id
    with session_client(pipeline, person(pipeline, smtp_server, merchant_licence)) as merchant:
        refused = merchant.get("/v1/admin/dead-letters/counts")
        assert refused.status_code == 403
        assert refused.json()["detail"]["code"] == "operator_required"
