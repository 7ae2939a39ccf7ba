"""The secrets a process keeps in its data dir: the operator token and the record key."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from control_plane.fingerprint import KeyFingerprint
from ero.settings import Settings
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


def _record_key(settings: Settings) -> bytes:
    return _secret(settings.record_key, settings.record_key_file).encode()


def record_seal(settings: Settings) -> RecordSeal:
    return RecordSeal(_record_key(settings))


def pc_key_fingerprint(settings: Settings) -> KeyFingerprint:
    """Keyed by a secret derived from the record key: API processes sharing ERO_RECORD_KEY show
    the same fingerprints, and a fingerprint reveals nothing of the record key."""
    key = hmac.new(_record_key(settings), b"ero pc-key fingerprint", hashlib.sha256).digest()
    return KeyFingerprint(key)
