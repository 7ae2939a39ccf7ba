"""The demo licence `ero run` creates on its very first start."""

from __future__ import annotations

import os

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
