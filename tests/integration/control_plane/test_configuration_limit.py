"""A licence holds a bounded number of configurations (its list is read whole), on the real chdb
through the app's route: past the bound a creation is refused before anything is appended."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import orjson
from fastapi.testclient import TestClient

from control_plane.http.configurations import MAX_CONFIGURATIONS
from ero.api import create_api, read_only_state
from ero.settings import Settings
from infra.clickhouse import ClickHouse
from licences.store import LicenceStore

COLUMNS = (
    "licence_id", "entity", "entity_id", "revision", "status", "dedup_key", "deleted", "actor",
    "updated_at", "body",
)  # fmt: skip
DOCUMENT = {"erp": "ebp", "shop": "other"}


def test_a_licence_at_its_bound_is_told_to_delete_one_first(clickhouse: ClickHouse) -> None:
    licence = LicenceStore(clickhouse).create("configurations at their bound")
    now = datetime.now(UTC)
    rows = []
    for number in range(MAX_CONFIGURATIONS):
        configuration_id = str(uuid.uuid4())
        body = {"configuration_id": configuration_id, "name": f"n{number}", "document": DOCUMENT}
        rows.append(
            [licence.licence_id, "configuration", configuration_id, 1, "", "", False, "reader",
             now, orjson.dumps(body).decode()]
        )  # fmt: skip
    clickhouse.insert_columns("control_entities", COLUMNS, list(zip(*rows, strict=True)))

    app = create_api(read_only_state(Settings(), clickhouse))
    headers = {"Authorization": f"Bearer {licence.reader_token}"}
    with TestClient(app, headers=headers) as client:
        refused = client.post("/v1/configurations", json={"name": "one more", "document": DOCUMENT})
    assert refused.status_code == 409, refused.text
    assert refused.json()["detail"]["code"] == "too_many_configurations"
