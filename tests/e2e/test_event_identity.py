"""An event is (licence, event_id) through the real gateway, broker and chdb: connectors choose
their ids, so two licences may send the same ones, at the same moment, and neither loses one."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from licences import Credentials
from tests.support.factories import sync_line
from tests.support.pipeline import Pipeline, wait_until
from tests.support.readers import report_items

pytestmark = pytest.mark.pipeline


def _post(pipeline: Pipeline, licence: Credentials, ids: list[str], tag: str) -> int:
    lines = [sync_line(event_id=event_id, message=f"{tag} {event_id}") for event_id in ids]
    with pipeline.client(licence.connector_key) as connector:
        answer = connector.post("/v1/events", json=lines)
    assert answer.status_code == 202, answer.text
    return int(answer.json()["accepted"])


def _messages(pipeline: Pipeline, licence: Credentials, expected: int) -> list[str]:
    with pipeline.client(licence.reader_token) as reader:
        return wait_until(
            lambda: (
                sorted(i["message"] for i in items)
                if len(items := report_items(reader)) >= expected
                else None
            ),
            timeout=30,
        )


def test_two_licences_posting_the_same_ids_at_once_each_keep_their_own(
    pipeline: Pipeline,
) -> None:
    a, b = pipeline.create_licence("same ids A"), pipeline.create_licence("same ids B")
    rounds = [[str(uuid.uuid4()) for _ in range(20)] for _ in range(5)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        for ids in rounds:  # both licences' batches in flight together, round after round
            posted = [
                pool.submit(_post, pipeline, who, ids, tag) for who, tag in ((a, "A"), (b, "B"))
            ]
            assert [future.result() for future in posted] == [20, 20]
    every_id = [event_id for ids in rounds for event_id in ids]
    assert _messages(pipeline, a, 100) == sorted(f"A {event_id}" for event_id in every_id)
    assert _messages(pipeline, b, 100) == sorted(f"B {event_id}" for event_id in every_id)
