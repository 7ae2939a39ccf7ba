"""`ero mail list | show` as a user runs them (a subprocess), on the outbox of a data dir no
pipeline runs with: the password link can be read and copied from the terminal."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

from accounts import messages
from infra.mail import Outbox
from tests.e2e.test_cli import offline, one_error_line
from tests.support.pipeline import Pipeline

LINK = "https://ero.example/#/mot-de-passe?jeton=Zx9-a_b"


def _written(tmp_path: Path) -> tuple[Pipeline, list[str]]:
    """A data dir whose outbox holds a sign-up link, then a reset link (newest); their ids."""
    ero = offline(tmp_path)
    outbox = Outbox(ero.data_dir / "outbox")
    expires = datetime.now(UTC) + timedelta(days=7)
    for mail in (
        messages.password_link("helene@boutique.example", "Hélène", LINK, "create", expires),
        messages.password_link("jean@dupont.example", None, LINK + "2", "reset", expires),
    ):
        asyncio.run(outbox.send(mail))
    return ero, [entry.id for entry in outbox.list()]


def test_list_shows_the_newest_first(tmp_path: Path) -> None:
    ero, (newest, oldest) = _written(tmp_path)
    done = ero.ero("mail", "list")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    header, *lines = done.stdout.splitlines()
    assert header.split() == ["ID", "SENT", "TO", "SUBJECT"]
    assert [line.split()[0] for line in lines] == [newest, oldest]
    assert lines[0].split()[2] == "jean@dupont.example"
    assert lines[0].endswith(
        "Réinitialisez votre mot de passe E-Connecteur Cloud / Reset your password"
    )
    assert lines[1].split()[2] == "helene@boutique.example"
    assert lines[1].endswith("Créez votre mot de passe E-Connecteur Cloud / Create your password")
    assert datetime.fromisoformat(lines[0].split()[1]).tzinfo is not None


def test_list_json_holds_every_message_whole(tmp_path: Path) -> None:
    ero, ids = _written(tmp_path)
    done = ero.ero("mail", "list", "--json")
    assert done.returncode == 0, done.stderr
    listed = orjson.loads(done.stdout)
    assert [entry["id"] for entry in listed] == ids
    assert f"\n{LINK}\n" in listed[1]["text"]
    assert LINK in listed[1]["html"]
    assert {"to", "subject", "text", "html", "sent_at"} <= set(listed[0])


def test_show_prints_the_headers_then_the_text_with_its_link(tmp_path: Path) -> None:
    ero, (_, sign_up) = _written(tmp_path)
    done = ero.ero("mail", "show", sign_up)
    assert done.returncode == 0, done.stderr
    head, _, text = done.stdout.partition("\n\n")
    assert head.splitlines()[0] == f"id       {sign_up}"
    assert "to       helene@boutique.example" in head.splitlines()
    assert "subject  Créez votre mot de passe E-Connecteur Cloud / Create your password" in head
    assert text.startswith("(English version below)")
    assert f"\n{LINK}\n" in text, "the link alone on its line, to copy"
    assert "<" not in text, "the text part, not the HTML"
    shown = orjson.loads(ero.ero("mail", "show", sign_up, "--json").stdout)
    assert shown["id"] == sign_up
    assert LINK in shown["html"]


def test_an_unknown_or_malformed_id_is_one_line(tmp_path: Path) -> None:
    ero, _ = _written(tmp_path)
    outbox = (tmp_path / "var" / "outbox").resolve()
    unknown = one_error_line(ero.ero("mail", "show", "20200101-000000-000000-abcdef"))
    assert unknown == (
        f"ero: error: no message 20200101-000000-000000-abcdef in the outbox {outbox}: "
        "`ero mail list` shows the messages"
    )
    malformed = one_error_line(ero.ero("mail", "show", "../../operator.token"))
    assert "'../../operator.token' is not an outbox message id" in malformed


def test_with_an_smtp_server_list_says_the_outbox_is_the_past(tmp_path: Path) -> None:
    ero, ids = _written(tmp_path)
    done = ero.ero("mail", "list", "--json", ERO_SMTP_HOST="mail.vendor.example")
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("messages go to the SMTP server mail.vendor.example:25; ")
    assert "holds only what was written before" in done.stderr
    assert [entry["id"] for entry in orjson.loads(done.stdout)] == ids


def test_an_empty_outbox_says_so(tmp_path: Path) -> None:
    done = offline(tmp_path).ero("mail", "list")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("no message in the outbox ")
