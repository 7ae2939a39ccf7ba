"""State a process keeps in its data dir and ClickHouse: operator token, schema, demo licence."""

from __future__ import annotations

import os
import secrets

from ero.settings import Settings
from licences import Credentials, LicenceStore
from projections.clickhouse import ClickHouse
from projections.migrations import migrate


def operator_token(settings: Settings) -> str:
    """ERO_OPERATOR_TOKEN, or a token generated once into the data dir (mode 0600)."""
    if settings.operator_token:
        return settings.operator_token
    path = settings.operator_token_file
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    token = "ero_op_" + secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(token + "\n")
    return token


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
