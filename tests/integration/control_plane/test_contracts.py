"""Control-plane pieces without the engines: action names, labels, diffs, delivery failures."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path

from control_plane.configurations import labelled_changes
from control_plane.delivery import WebhookChannel, deliver, render_email
from control_plane.diff import json_diff
from infra.broker import free_port
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


async def test_a_failed_delivery_is_reported_not_raised() -> None:
    closed = f"http://127.0.0.1:{free_port()}/tickets"
    ticket = _ticket("t-1", subject="s", message="m")
    [outcome] = await deliver(ticket, [WebhookChannel(closed)])
    assert (outcome.channel, outcome.ok) == ("webhook", False)
    assert outcome.detail


def test_an_e_mail_header_stays_one_line_whatever_the_ticket_holds() -> None:
    """The API refuses a subject with CR/LF; the e-mail is safe from any other caller too."""
    ticket = _ticket(
        "t-2", subject="Aide\r\nBcc: everyone@example.com\n\nfaux corps", message="ligne 1\nligne 2"
    )
    sent = render_email(ticket, "ero@localhost", "support@vendor.example").as_bytes()
    received = message_from_bytes(sent, policy=policy.default)
    assert received["Bcc"] is None
    assert received["Subject"] == "[ERO ticket t-2] Aide Bcc: everyone@example.com faux corps"
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
