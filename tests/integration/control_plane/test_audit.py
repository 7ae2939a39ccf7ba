"""What an operator's audit never shows, on the real chdb through the app's route: the changes
of what belongs to no licence (people, their secrets: licence id @accounts), and the body of a
person's credential (password hash, TOTP secret), wherever its row lies."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import orjson
import pytest
from fastapi.testclient import TestClient

from ero.api import create_api, read_only_state
from ero.settings import Settings
from infra.clickhouse import ClickHouse
from schemas.accounts import ACCOUNTS

COLUMNS = (
    "licence_id", "issued_at", "command_id", "kind", "actor", "entity", "entity_id", "revision",
    "before", "after",
)  # fmt: skip
SECRET = {"password_hash": "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA", "totp_secret": "JBSW"}


def _audit_row(licence_id: str, entity: str, after: dict[str, str]) -> list[object]:
    return [
        licence_id, datetime.now(UTC), uuid.uuid4(), f"{entity}.updated", "system", entity,
        "u1", 1, "", orjson.dumps(after).decode(),
    ]  # fmt: skip


@pytest.fixture
def operator(clickhouse: ClickHouse) -> Iterator[TestClient]:
    app = create_api(read_only_state(Settings(), clickhouse))
    with TestClient(app, headers={"Authorization": f"Bearer {app.state.operator_token}"}) as client:
        yield client


def test_the_accounts_are_no_licence_and_a_credential_shows_no_body(
    clickhouse: ClickHouse, operator: TestClient
) -> None:
    licence_id = str(uuid.uuid4())
    rows = [
        _audit_row(ACCOUNTS, "credential", SECRET),
        _audit_row(ACCOUNTS, "user", {"email": "marie@boutique.example"}),
        _audit_row(licence_id, "credential", SECRET),  # misfiled: still never shown
        _audit_row(licence_id, "account", {"email": "shop@boutique.example"}),
    ]
    clickhouse.insert_columns("control_audit", COLUMNS, list(zip(*rows, strict=True)))

    refused = operator.get(f"/v1/admin/licences/{ACCOUNTS}/audit")
    assert refused.status_code == 404
    assert refused.json()["detail"]["code"] == "licence_not_found"
    assert "marie" not in refused.text

    shown = operator.get(f"/v1/admin/licences/{licence_id}/audit")
    assert shown.status_code == 200
    items = {item["entity"]: item for item in shown.json()["items"]}
    assert (items["credential"]["before"], items["credential"]["after"]) == (None, None)
    assert items["account"]["after"] == {"email": "shop@boutique.example"}
    assert "argon2" not in shown.text
    assert "JBSW" not in shown.text
