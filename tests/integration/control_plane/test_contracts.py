"""Control-plane pieces without the engines: action names, labels, diffs, delivery failures."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from control_plane.configurations import labelled_changes
from control_plane.delivery import (
    FIRST_RETRY,
    LAST_RETRY,
    DeliveryFailed,
    WebhookChannel,
    after_attempt,
    pending_deliveries,
    ticket_mail,
)
from control_plane.diff import json_diff
from infra.broker import free_port
from infra.mail import render
from schemas.actions import ACTIONS, RESET_PC_KEY, ActionName
from schemas.configuration import ConnectorConfiguration, OrderSettings
from schemas.control import AgentDoc, ConfigurationDoc, TicketDoc

RULES = Path(__file__).resolve().parents[3] / "processors" / "rules.toml"


def test_every_action_has_french_and_english_labels() -> None:
    assert set(ACTIONS) == set(ActionName)
    assert all(spec.label_fr and spec.label_en for spec in ACTIONS.values())
    assert ACTIONS[ActionName.CLEAR_CACHE].label_fr == "Effacer le cache E-Connecteur"


def test_the_classifier_suggests_only_actions_the_queue_knows() -> None:
    rules = tomllib.loads(RULES.read_text())
    suggested = {
        rule["action"]
        for rules_list in rules.values()
        if isinstance(rules_list, list)
        for rule in rules_list
        if isinstance(rule, dict) and rule.get("action")
    }
    assert suggested, "no remediation action found in processors/rules.toml"
    assert suggested <= {name.value for name in ActionName} | {RESET_PC_KEY}


def test_json_diff_names_added_removed_and_changed_paths() -> None:
    before = {"a": 1, "b": {"c": [1], "d": True}, "gone": "x"}
    after = {"a": 2, "b": {"c": [1, 2], "d": True}, "new/key": None}
    changes = {(c.path, c.op) for c in json_diff(before, after)}
    assert changes == {
        ("/a", "changed"),
        ("/b/c", "changed"),
        ("/gone", "removed"),
        ("/new~1key", "added"),
    }
    assert json_diff(before, before) == []


def _ticket(ticket_id: str, subject: str, message: str) -> TicketDoc:
    return TicketDoc(
        ticket_id=ticket_id,
        subject=subject,
        message=message,
        email="a@b.example",
        shop_url=None,
        agent=AgentDoc(),
        active_configuration=None,
        error_groups=[],
        status="open",
        created_at=datetime.now(UTC),
        created_by="reader",
    )


async def test_a_failed_delivery_says_why() -> None:
    closed = f"http://127.0.0.1:{free_port()}/tickets"
    ticket = _ticket("t-1", subject="s", message="m")
    with pytest.raises(DeliveryFailed, match="ConnectError"):
        await WebhookChannel(closed).deliver(ticket, pending_deliveries(ticket, ["webhook"])[0])


def test_a_failing_delivery_backs_off_doubling_up_to_its_cap_and_is_never_given_up() -> None:
    ticket = _ticket("t-3", subject="s", message="m")
    [delivery] = pending_deliveries(ticket, ["email"])
    assert (delivery.state, delivery.attempts) == ("pending", 0)
    waits = []
    for _ in range(12):
        now = datetime.now(UTC)
        delivery = after_attempt(delivery, now, None, "refused")
        waits.append(delivery.next_attempt_at - now)
    assert waits[:3] == [FIRST_RETRY, FIRST_RETRY * 2, FIRST_RETRY * 4]
    assert waits[-1] == LAST_RETRY
    assert (delivery.state, delivery.attempts, delivery.last_error) == ("failing", 12, "refused")
    done = after_attempt(delivery, datetime.now(UTC), "250 OK", None)
    assert (done.state, done.attempts, done.detail) == ("delivered", 13, "250 OK")


def test_an_e_mail_header_stays_one_line_whatever_the_ticket_holds() -> None:
    """The API refuses a subject with CR/LF; the e-mail is safe from any other caller too."""
    ticket = _ticket(
        "t-2", subject="Aide\r\nBcc: everyone@example.com\n\nfaux corps", message="ligne 1\nligne 2"
    ).model_copy(update={"number": "ERO-2026-000002", "email": "m@shop.example\r\nBcc: x@y"})
    sent = render(ticket_mail(ticket, "support@vendor.example"), "ero@localhost").as_bytes()
    received = message_from_bytes(sent, policy=policy.default)
    assert received["Bcc"] is None
    assert received["Subject"] == "[ERO-2026-000002] Aide Bcc: everyone@example.com faux corps"
    headers = sent.split(b"\r\n\r\n")[0]
    assert b"\r\nBcc:" not in headers
    assert received["Reply-To"].startswith("m@shop.example")
    assert b"\r\n" in sent  # the SMTP policy's line ends


def test_a_configurations_diff_names_its_fields_for_people() -> None:
    before = ConfigurationDoc(
        configuration_id="c", name="a", document=ConnectorConfiguration(erp="ebp", shop="other")
    )
    after = before.model_copy(
        update={
            "connector_id": "shop-1",
            "document": ConnectorConfiguration(
                erp="ebp",
                shop="other",
                safety_mode=False,
                orders=OrderSettings(lookback_days=30),
                options={"tva/mode": "ht"},
            ),
        }
    )
    changes = labelled_changes(
        json_diff(before.model_dump(mode="json"), after.model_dump(mode="json"))
    )
    assert {c.path: (c.label_fr, c.label_en) for c in changes} == {
        "/connector_id": ("Connecteur", "Connector"),
        "/document/safety_mode": ("Mode de sécurité", "Safety mode"),
        "/document/orders/lookback_days": ("Commandes › Jours repris", "Orders › Days looked back"),
        "/document/options/tva~1mode": (
            "Options avancées › tva/mode",
            "Advanced options › tva/mode",
        ),
    }
