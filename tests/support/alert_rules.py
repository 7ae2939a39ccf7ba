"""Alert rules through the real pipeline: a licence whose member set one webhook channel (a
real HTTP receiver) and only the rules a test turns on."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from licences import Credentials
from tests.support.accounts import person, session_client
from tests.support.factories import sync_line
from tests.support.pipeline import Pipeline, wait_until
from tests.support.receivers import HookReceiver, SmtpServer

OFF = {"enabled": False}


class Shop:
    """A licence whose member set one webhook channel and the rules it is given; every other
    rule is off, so what the receiver gets is the rule under test's."""

    def __init__(
        self, pipeline: Pipeline, smtp: SmtpServer, hooks: HookReceiver, rules: dict[str, Any]
    ) -> None:
        self.pipeline, self.hooks = pipeline, hooks
        self.licence: Credentials = pipeline.create_licence(f"rules {uuid.uuid4().hex[:6]}")
        who = person(pipeline, smtp, self.licence.licence_id, "member")
        self.client = session_client(pipeline, who)
        for kind in ("new_group", "error_spike", "silent_connector", "stuck_order", "digest"):
            answer = self.client.put(f"/v1/alerts/rules/{kind}", json=rules.get(kind, OFF))
            assert answer.status_code in (200, 202), answer.text
        self.path = f"/{uuid.uuid4().hex}"
        created = self.client.post(
            "/v1/alerts/channels",
            json={"kind": "webhook", "name": "ERP", "url": hooks.url + self.path},
        )
        assert created.status_code == 201, created.text

    def send(self, *lines: dict[str, Any]) -> None:
        with self.pipeline.client(self.licence.connector_key) as connector:
            answer = connector.post("/v1/events", json=list(lines))
            assert answer.status_code == 202, answer.text
            assert answer.json()["accepted"] == len(lines)

    def told(self) -> list[tuple[str, str]]:
        return [(b["kind"], b["notification"]) for b in self.hooks.bodies(self.path)]

    def wait_told(self, count: int, timeout: float = 60) -> list[tuple[str, str]]:
        return wait_until(lambda: t if len(t := self.told()) >= count else None, timeout=timeout)


def shops(pipeline: Pipeline, smtp_server: SmtpServer, hooks: HookReceiver) -> Iterator[Any]:
    """What a test's `shop_with` fixture yields: make(**rules) -> Shop, closed afterwards."""
    made: list[Shop] = []

    def make(**rules: dict[str, Any]) -> Shop:
        made.append(Shop(pipeline, smtp_server, hooks, rules))
        return made[-1]

    yield make
    for shop in made:
        shop.client.close()


def error_line(at: datetime, **extra: Any) -> dict[str, Any]:
    return sync_line(
        occurred_at=at.isoformat(), status="erreur",
        message=f"Article {uuid.uuid4().hex[:6]} absent de la gestion commerciale",
    ) | extra  # fmt: skip
