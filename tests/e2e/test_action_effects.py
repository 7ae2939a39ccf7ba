"""A remote action's measured effect through the real pipeline: after a suggested action has
run, its group shows whether the errors stopped within the next syncs, and the vendor's
console ranks actions and articles by that effect across the fleet."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from licences import Credentials
from tests.support.factories import sync_line
from tests.support.pipeline import Pipeline, wait_until

MISSING = "Article {} absent de la gestion commerciale"


def _send(pipeline: Pipeline, licence: Credentials, *lines: dict[str, Any]) -> None:
    with pipeline.client(licence.connector_key) as connector:
        answer = connector.post("/v1/events", json=list(lines))
        assert answer.status_code == 202, answer.text


def _run(sync_id: str, *, error: bool) -> list[dict[str, Any]]:
    now = datetime.now(UTC).isoformat()
    lines = [sync_line(sync_id=sync_id, occurred_at=now, message="Commande importée")]
    if error:
        lines.append(sync_line(sync_id=sync_id, occurred_at=now, status="erreur",
                               message=MISSING.format(uuid.uuid4().hex[:6].upper())))  # fmt: skip
    return lines


class Shop:
    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.licence = pipeline.create_licence(f"effects {uuid.uuid4().hex[:6]}")
        self.reader = pipeline.client(self.licence.reader_token)
        self.connector = pipeline.client(self.licence.connector_key)

    def suggested_action_ran(self) -> str:
        """Errors of a group, then its suggested action run from one of its lines; returns the
        group's fingerprint."""
        suggesting = sync_line(sync_id="run-0", status="erreur", message=MISSING.format("AB-1"))
        _send(self.pipeline, self.licence, suggesting, *_run("run-0", error=True))
        groups = wait_until(lambda: self.reader.get("/v1/groups").json()["groups"])
        [group] = groups
        action = group["remediation"]["action"]
        assert action, group
        created = self.reader.post(
            "/v1/actions", json={"action": action, "source_event_id": suggesting["event_id"]}
        )
        assert created.status_code == 201, created.text
        action_id = created.json()["action_id"]
        assert self.connector.post("/v1/agent/sync", json={"pc_key": "PC-EFFECT-01"}).json()[
            "actions"
        ]
        done = self.connector.post(f"/v1/agent/actions/{action_id}/result", json={"success": True})
        assert done.status_code == 200, done.text
        return str(group["fingerprint"])

    def effects(self, fingerprint: str) -> list[dict[str, Any]]:
        answer = self.reader.get(f"/v1/groups/{fingerprint}/effects")
        assert answer.status_code == 200, answer.text
        found: list[dict[str, Any]] = answer.json()["actions"]
        return found


def test_an_action_that_stopped_its_errors_and_one_that_did_not(pipeline: Pipeline) -> None:
    cured, uncured = Shop(pipeline), Shop(pipeline)
    fingerprint = cured.suggested_action_ran()
    assert uncured.suggested_action_ran() == fingerprint, "the same group in both licences"

    [early] = wait_until(lambda: cured.effects(fingerprint))
    assert early["verdict"] == "too_early"
    assert early["errors_before"] == 2

    for n in range(1, 4):
        _send(pipeline, cured.licence, *_run(f"run-{n}", error=False))
    _send(pipeline, uncured.licence, *_run("run-1", error=True))
    stopped = wait_until(
        lambda: e if (e := cured.effects(fingerprint))[0]["syncs_after"] == 3 else None
    )
    assert [(e["verdict"], e["errors_after"]) for e in stopped] == [("stopped", 0)]
    continues = wait_until(
        lambda: e if (e := uncured.effects(fingerprint))[0]["errors_after"] else None
    )
    assert continues[0]["verdict"] == "continues"

    other = Shop(pipeline)
    assert other.effects(fingerprint) == [], "another licence's actions are not its own"

    token = (pipeline.data_dir / "operator.token").read_text().strip()
    with pipeline.client(token) as operator:
        fleet = operator.get("/v1/admin/effects").json()
        assert other.reader.get("/v1/admin/effects").status_code in (401, 403)
    ranked = {r["key"]: r for r in fleet["actions"]}
    action = stopped[0]["action"]
    assert ranked[action]["stopped"] >= 1
    assert ranked[action]["continues"] >= 1
    assert 0 < ranked[action]["stopped_ratio"] < 1
    assert fleet["articles"], "the group's article is ranked too"
    for shop in (cured, uncured, other):
        shop.reader.close()
        shop.connector.close()


def test_no_effect_without_a_suggesting_line(pipeline: Pipeline) -> None:
    shop = Shop(pipeline)
    with shop.reader as reader, shop.connector:
        assert reader.post("/v1/actions", json={"action": "clear_cache"}).status_code == 201
        assert reader.get("/v1/groups/1/effects").json()["actions"] == []
        assert reader.get("/v1/groups/not-a-number/effects").status_code == 422
