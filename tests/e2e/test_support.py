"""Support that arrives: every ticket in the vendor's inbox with its number, its thread, its
statuses and its deliveries retried until delivered, against the real pipeline."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.accounts import (
    Person,
    mails_to,
    new_email,
    operator,
    operator_person,
    person,
    session_client,
    text_of,
)
from tests.support.pipeline import Pipeline, wait_until
from tests.support.receivers import SmtpServer

NUMBER = re.compile(r"ERO-([0-9]{4})-([0-9]{6})")
CONFIG = {"erp": "sage100", "shop": "prestashop", "schedule_minutes": 15}


class Shop:
    def __init__(self, pipeline: Pipeline, name: str) -> None:
        self.licence = pipeline.create_licence(name)
        self.reader = pipeline.client(self.licence.reader_token)
        put = self.reader.put("/v1/account", json={"email": "gerant@boutique.example"})
        assert put.status_code == 200, put.text

    def open(self, subject: str = "Commandes bloquées", **extra: str) -> dict[str, Any]:
        created = self.reader.post(
            "/v1/tickets",
            json={"subject": subject, "message": "Bonjour, rien ne passe.", **extra},
        )
        assert created.status_code == 201, created.text
        ticket: dict[str, Any] = created.json()
        return ticket


@pytest.fixture
def shop(pipeline: Pipeline) -> Iterator[Shop]:
    created = Shop(pipeline, f"support {uuid.uuid4().hex[:6]}")
    yield created
    created.reader.close()


@pytest.fixture(scope="module")
def support_operator(pipeline: Pipeline, smtp_server: SmtpServer) -> Person:
    return operator_person(pipeline, smtp_server)


def _seq(number: str) -> int:
    match = NUMBER.fullmatch(number)
    assert match, number
    assert int(match.group(1)) == datetime.now(UTC).year
    return int(match.group(2))


def test_numbers_are_unique_and_consecutive_when_tickets_are_opened_at_once(
    pipeline: Pipeline,
) -> None:
    shops = [Shop(pipeline, f"rush {n} {uuid.uuid4().hex[:4]}") for n in range(4)]
    try:
        with ThreadPoolExecutor(max_workers=12) as pool:
            opened = list(pool.map(lambda n: shops[n % 4].open(f"Aide {n}"), range(12)))
        numbers = [ticket["number"] for ticket in opened]
        seqs = sorted(_seq(number) for number in numbers)
        assert seqs == list(range(seqs[0], seqs[0] + 12)), numbers
        for index, shop in enumerate(shops):  # each licence lists its own, newest first
            listed = [t["number"] for t in shop.reader.get("/v1/tickets").json()["items"]]
            assert listed == sorted(numbers[index::4], reverse=True)
    finally:
        for shop in shops:
            shop.reader.close()


def test_a_ticket_is_answered_assigned_resolved_and_reopened_by_a_reply(
    pipeline: Pipeline, shop: Shop, support_operator: Person
) -> None:
    with session_client(pipeline, support_operator) as client:
        _answered_resolved_reopened(shop, client, support_operator.email)


def _answered_resolved_reopened(shop: Shop, support_operator: httpx.Client, me: str) -> None:
    ticket = shop.open()
    number = ticket["number"]
    assert ticket["status"] == "open"
    assert "ticket_id" in ticket  # the API keeps it; the pages never show it

    inbox = support_operator.get("/v1/admin/tickets", params={"status": "open"}).json()
    assert number in [item["ticket"]["number"] for item in inbox["items"]]
    assigned = support_operator.put(f"/v1/admin/tickets/{number}/assignee", json={"assignee": me})
    assert assigned.status_code == 200, assigned.text
    assert (assigned.json()["ticket"]["assignee"], assigned.json()["ticket"]["status"]) == (
        me,
        "in_progress",
    )
    mine = support_operator.get("/v1/admin/tickets", params={"mine": "true"}).json()["items"]
    assert number in [item["ticket"]["number"] for item in mine]

    answered = support_operator.post(
        f"/v1/admin/tickets/{number}/replies", json={"message": "Videz le cache, puis relancez."}
    )
    assert answered.status_code == 201, answered.text
    resolved = support_operator.put(
        f"/v1/admin/tickets/{number}/status", json={"status": "resolved"}
    )
    assert resolved.json()["ticket"]["status"] == "resolved"

    thread = shop.reader.get(f"/v1/tickets/{number}").json()
    assert thread["ticket"]["status"] == "resolved"
    assert [(r["side"], r["message"]) for r in thread["replies"]] == [
        ("vendor", "Videz le cache, puis relancez.")
    ]
    reply = shop.reader.post(f"/v1/tickets/{number}/replies", json={"message": "Toujours bloqué"})
    assert reply.status_code == 201, reply.text
    again = shop.reader.get(f"/v1/tickets/{number}").json()
    assert again["ticket"]["status"] == "open"
    assert [r["side"] for r in again["replies"]] == ["vendor", "merchant"]

    # Every operator's change is in the licence's audit trail, under the operator's name.
    audit = shop.reader.get("/v1/audit", params={"entity": ["ticket", "ticket_reply"]}).json()
    by_operator = {e["kind"] for e in audit["items"] if me in e["actor"]}
    assert {"ticket.assigned", "ticket.replied", "ticket.status_set"} <= by_operator


def test_one_licence_never_reads_or_answers_anothers_tickets(
    pipeline: Pipeline, shop: Shop, smtp_server: SmtpServer
) -> None:
    number = shop.open()["number"]
    other = Shop(pipeline, f"other {uuid.uuid4().hex[:6]}")
    try:
        assert other.reader.get(f"/v1/tickets/{number}").status_code == 404
        refused = other.reader.post(f"/v1/tickets/{number}/replies", json={"message": "x"})
        assert refused.status_code == 404
        assert refused.json()["detail"]["code"] == "ticket_not_found"
        listed = other.reader.get("/v1/tickets").json()["items"]
        assert number not in [t["number"] for t in listed]
        assert other.reader.get("/v1/admin/tickets").status_code == 401
    finally:
        other.reader.close()
    viewer = person(pipeline, smtp_server, shop.licence.licence_id, "viewer")
    with session_client(pipeline, viewer, shop.licence.licence_id) as client:
        assert client.get(f"/v1/tickets/{number}").status_code == 200
        answer = client.post(f"/v1/tickets/{number}/replies", json={"message": "x"})
        assert answer.status_code == 403
        assert answer.json()["detail"]["code"] == "role_forbidden"


def test_the_account_sets_contact_details_and_shows_the_connectors_versions(shop: Shop) -> None:
    refused = shop.reader.put(
        "/v1/account", json={"email": "nope", "shop_url": "ftp://x", "phone": "appelez-moi"}
    )
    assert refused.status_code == 422
    detail = {tuple(e["loc"]): e["ctx"] for e in refused.json()["detail"]}
    assert set(detail) == {("body", "email"), ("body", "shop_url"), ("body", "phone")}
    assert all(ctx["fr"] and ctx["en"] for ctx in detail.values())

    contact = {"email": "g@dupont.example", "shop_url": "https://dupont.example",
               "phone": "+33 1 23 45 67 89"}  # fmt: skip
    assert shop.reader.put("/v1/account", json=contact).json() == contact
    assert shop.reader.get("/v1/account").json() == contact
    assert shop.reader.get("/v1/account/connectors").json() == []
    with httpx.Client(
        base_url=str(shop.reader.base_url),
        headers={"Authorization": f"Bearer {shop.licence.connector_key}"},
    ) as connector:
        synced = connector.post(
            "/v1/agent/sync",
            json={"pc_key": "PC-0001-AAAA", "connector_version": "4.2.1",
                  "erp_version": "Sage 100 v12", "shop_version": "PrestaShop 8.1"},
        )  # fmt: skip
        assert synced.status_code == 200, synced.text
    [versions] = shop.reader.get("/v1/account/connectors").json()
    assert (versions["connector_version"], versions["erp_version"], versions["shop_version"]) == (
        "4.2.1",
        "Sage 100 v12",
        "PrestaShop 8.1",
    )
    assert versions["reported_at"]
    ticket = shop.open()
    assert (ticket["phone"], ticket["agent"]["erp_version"]) == (
        "+33 1 23 45 67 89",
        "Sage 100 v12",
    )


def _delivery(client: httpx.Client, number: str) -> dict[str, Any] | None:
    found = client.get(f"/v1/admin/tickets/{number}")
    if found.status_code != 200:
        return None
    [delivery] = found.json()["deliveries"]
    return dict(delivery)


def test_a_delivery_is_retried_across_a_restart_until_the_mailbox_accepts_and_numbers_go_on(
    tmp_path: Path,
) -> None:
    with SmtpServer(answers=["554 5.7.1 mailbox full"] * 2).running() as smtp:
        running = Pipeline(
            tmp_path / "support",
            ERO_SMTP_HOST=smtp.host,
            ERO_SMTP_PORT=str(smtp.port),
            ERO_SUPPORT_EMAIL="support@vendor.example",
            ERO_TICKET_DELIVERY_INTERVAL_SECONDS="0.2",
        )
        try:
            running.start()
            shop = Shop(running, "retried")
            first = shop.open("Livraison en échec")
            with operator(running) as ops:
                failing = wait_until(
                    lambda: (d := _delivery(ops, first["number"])) and d["attempts"] >= 1 and d
                )
                assert failing["state"] == "failing"
                assert "554" in failing["last_error"]
            assert running.stop() == 0

            running.start()  # the outstanding delivery is found again in the stored state
            with operator(running) as ops:
                delivered = wait_until(
                    lambda: (
                        (d := _delivery(ops, first["number"])) and d["state"] == "delivered" and d
                    )
                )
            assert delivered["attempts"] == 3
            assert smtp.attempts == 3
            [mail] = smtp.messages
            assert first["number"] in mail["Subject"]
            shop = Shop(running, "after the restart")
            second = shop.open()
            assert _seq(second["number"]) == _seq(first["number"]) + 1
            assert running.stop() == 0
        finally:
            running.ensure_stopped()


def _merchant_mails(smtp: SmtpServer, to: str, number: str) -> list[EmailMessage]:
    return [m for m in mails_to(smtp, to) if number in str(m["Subject"])]


def _merchant_deliveries(client: httpx.Client, number: str) -> list[dict[str, Any]]:
    found = client.get(f"/v1/admin/tickets/{number}").json()["deliveries"]
    return [d for d in found if d["channel"] == "merchant"]


def test_the_merchant_is_e_mailed_the_answer_and_the_resolution_with_a_link_to_the_ticket(
    pipeline: Pipeline, shop: Shop, support_operator: Person, smtp_server: SmtpServer
) -> None:
    contact = new_email("contact")
    ticket = shop.open("Stock faux", email=contact)
    number = ticket["number"]
    with session_client(pipeline, support_operator) as client:
        answered = client.post(
            f"/v1/admin/tickets/{number}/replies", json={"message": "Relancez la synchro."}
        )
        assert answered.status_code == 201, answered.text
        [mail] = wait_until(lambda: _merchant_mails(smtp_server, contact, number) or None)
        subject = " ".join(str(mail["Subject"]).split())  # RFC 2047 folding may double a space
        assert subject.startswith(f"[{number}] Réponse du support : Stock faux")
        text = text_of(mail)
        assert "Relancez la synchro." in text
        assert f"/#/assistance?ticket={number}" in text
        assert "English version below" in text

        resolved = client.put(f"/v1/admin/tickets/{number}/status", json={"status": "resolved"})
        assert resolved.status_code == 200, resolved.text

        def both_sent() -> list[EmailMessage] | None:
            mails = _merchant_mails(smtp_server, contact, number)
            return mails if len(mails) == 2 else None

        resolution = wait_until(both_sent)[1]
        assert f"[{number}] Ticket résolu" in " ".join(str(resolution["Subject"]).split())
        assert f"/#/assistance?ticket={number}" in text_of(resolution)

        def all_delivered() -> list[dict[str, Any]] | None:
            found = _merchant_deliveries(client, number)
            return found if found and all(d["state"] == "delivered" for d in found) else None

        # Each notice is one delivery the operator sees, delivered once.
        deliveries = wait_until(all_delivered)
        assert sorted(d["notice"] for d in deliveries) == ["answered", "resolved"]
        assert all(d["attempts"] == 1 for d in deliveries)
        # A merchant's own reply is not e-mailed back to them.
        shop.reader.post(f"/v1/tickets/{number}/replies", json={"message": "Merci"})
        assert len(_merchant_deliveries(client, number)) == 2
    assert len(_merchant_mails(smtp_server, contact, number)) == 2


def test_a_ticket_is_assigned_to_an_operator_listed_and_never_to_anyone_else(
    pipeline: Pipeline, shop: Shop, support_operator: Person, smtp_server: SmtpServer
) -> None:
    colleague = operator_person(pipeline, smtp_server)
    number = shop.open()["number"]
    with session_client(pipeline, support_operator) as client:
        listed = client.get("/v1/admin/operators")
        assert listed.status_code == 200, listed.text
        emails = [o["email"] for o in listed.json()]
        assert {support_operator.email, colleague.email} <= set(emails)
        assert all(o["operator"] for o in listed.json())

        refused = client.put(
            f"/v1/admin/tickets/{number}/assignee", json={"assignee": "gerant@boutique.example"}
        )
        assert refused.status_code == 422, refused.text
        [error] = refused.json()["detail"]
        assert (error["type"], error["loc"]) == ("assignee_not_operator", ["body", "assignee"])
        assert "opérateur" in error["ctx"]["fr"]
        assert "operator" in error["ctx"]["en"]
        assigned = client.put(
            f"/v1/admin/tickets/{number}/assignee", json={"assignee": colleague.email}
        )
        assert assigned.status_code == 200, assigned.text
        assert assigned.json()["ticket"]["assignee"] == colleague.email
    assert shop.reader.get("/v1/admin/operators").status_code == 401


def test_the_ticket_keeps_the_active_configuration_of_each_connector(shop: Shop) -> None:
    def activated(name: str, connector_id: str | None) -> str:
        made = shop.reader.post(
            "/v1/configurations",
            json={"name": name, "connector_id": connector_id, "document": CONFIG},
        )
        assert made.status_code == 201, made.text
        configuration_id = str(made.json()["configuration_id"])
        active = shop.reader.post(f"/v1/configurations/{configuration_id}/activate")
        assert active.status_code == 200, active.text
        return configuration_id

    activated("Toutes", None)
    activated("Nord", "shop-north")
    activated("Sud", "shop-south")
    ticket = shop.open()
    by_connector = {c["connector_id"]: c["name"] for c in ticket["active_configurations"]}
    assert by_connector == {None: "Toutes", "shop-north": "Nord", "shop-south": "Sud"}
    assert ticket["active_configuration"]["name"] == "Toutes"
