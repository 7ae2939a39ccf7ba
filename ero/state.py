"""State a process keeps in its data dir and ClickHouse: operator token, schema, demo licence."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from ero.settings import Settings
from licences import Credentials, LicenceStore
from projections.clickhouse import ClickHouse
from projections.migrations import migrate
from schemas.records import RecordSeal


def _secret(configured: str | None, path: Path, prefix: str = "") -> str:
    """The configured secret, or one generated once into the data dir (mode 0600)."""
    if configured:
        return configured
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = prefix + secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secret + "\n")
    return secret


def operator_token(settings: Settings) -> str:
    return _secret(settings.operator_token, settings.operator_token_file, "ero_op_")


def record_seal(settings: Settings) -> RecordSeal:
    return RecordSeal(_secret(settings.record_key, settings.record_key_file).encode())


def open_clickhouse(settings: Settings) -> ClickHouse:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    clickhouse = ClickHouse(settings.resolved_clickhouse_dsn)
    migrate(
        clickhouse,
        settings.retention_days,
        settings.rollup_retention_days,
        settings.clickhouse_cluster,
    )
    return clickhouse


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
