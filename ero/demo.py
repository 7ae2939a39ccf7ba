"""The demo licence `ero run` creates on its very first start, and who owns it."""

from __future__ import annotations

import os

from accounts.service import SYSTEM, Accounts
from ero.settings import Settings
from licences import Credentials, LicenceStore
from schemas.accounts import UserDoc


def demo_licence(settings: Settings, licences: LicenceStore) -> Credentials | None:
    """On the very first start, a demo licence; its keys are kept in the data dir to show again."""
    path = settings.demo_licence_file
    if path.exists():
        return Credentials.model_validate_json(path.read_bytes())
    if licences.count() > 0:
        return None
    credentials = licences.create("demo")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(credentials.model_dump_json(indent=2).encode())
    return credentials


DEMO_EMAIL = "demo@ero.example"


async def demo_owner(accounts: Accounts, demo: Credentials, user: UserDoc) -> None:
    """Who signs up as DEMO_EMAIL owns the demo licence: its create-password e-mail goes to the
    outbox (`ero mail list`), so whoever runs `make run` can sign in. Recorded when someone
    signs up, not at start: nothing is appended to the control log unasked."""
    if user.email.lower() == DEMO_EMAIL:
        await accounts.set_member(demo.licence_id, user, "owner", SYSTEM)
