"""`ero mail list | show ID`: the account e-mails written to the outbox (DATA_DIR/outbox).

Without an SMTP server (ERO_SMTP_HOST unset) password links and alerts are written there
instead of being sent, so that a link can be followed on a machine that sends no mail. Read
from the data dir itself: no API needs to run.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

import orjson

from ero.cli.common import CliError, Subparsers, at_least, read_settings, table, when
from ero.settings import Settings

if TYPE_CHECKING:
    from infra.mail import Outbox


def _outbox(settings: Settings) -> Outbox:
    from infra.mail import Outbox

    return Outbox(settings.outbox_dir.resolve())


def _list(args: argparse.Namespace) -> None:
    settings = read_settings()
    outbox = _outbox(settings)
    if settings.smtp_host:
        # On stderr: stdout stays the listing (or the JSON) alone.
        print(
            f"messages go to the SMTP server {settings.smtp_host}:{settings.smtp_port}; the "
            f"outbox {outbox.directory} holds only what was written before it was set",
            file=sys.stderr,
        )
    entries = outbox.list(args.limit)
    if args.json:
        sys.stdout.buffer.write(orjson.dumps([entry.model_dump(mode="json") for entry in entries]))
        sys.stdout.buffer.write(b"\n")
        return
    if not entries:
        print(f"no message in the outbox {outbox.directory}")
        return
    rows = [(entry.id, when(entry.sent_at), entry.to, entry.subject) for entry in entries]
    for line in table(("ID", "SENT", "TO", "SUBJECT"), rows):
        print(line)


def _show(args: argparse.Namespace) -> None:
    from infra.mail import NotInOutbox

    try:
        entry = _outbox(read_settings()).read(args.id)
    except NotInOutbox as exc:
        raise CliError(f"{exc}: `ero mail list` shows the messages") from None
    if args.json:
        print(entry.model_dump_json())
        return
    print(f"id       {entry.id}")
    print(f"sent at  {when(entry.sent_at)}")
    print(f"to       {entry.to}")
    print(f"subject  {entry.subject}")
    print()
    print(entry.text)


def register(commands: Subparsers) -> None:
    mail = commands.add_parser(
        "mail", help="account e-mails written to the outbox (when no SMTP server is set)"
    ).add_subparsers(dest="mail_command", required=True)
    listing = mail.add_parser("list", help="newest first: id, when, to, subject")
    listing.add_argument("--limit", type=at_least(1), default=100)
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=_list)
    show = mail.add_parser("show", help="one message: its headers, then its text (and links)")
    show.add_argument("id", metavar="ID")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=_show)
