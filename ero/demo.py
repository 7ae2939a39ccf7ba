"""The demo licence `ero run` creates on its very first start, and its owner's account."""

from __future__ import annotations

import os

from accounts.service import SYSTEM, Accounts
from ero.settings import Settings
from licences import Credentials, LicenceStore


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


async def demo_owner(accounts: Accounts, demo: Credentials) -> None:
    """The demo licence's owner account, invited once: its create-password e-mail waits in the
    outbox (`ero mail list`) for whoever runs `make run` first."""
    if await accounts.store.user_by_email(DEMO_EMAIL) is not None:
        return
    user = await accounts.invite(
        DEMO_EMAIL, actor=SYSTEM, name="Démo", licence_name="demo", role="owner"
    )
    await accounts.set_member(demo.licence_id, user, "owner", SYSTEM)
