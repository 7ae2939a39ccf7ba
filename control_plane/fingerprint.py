"""What a reader is shown of a PC key: a short keyed fingerprint, never its stored hash.

The binding stores SHA-256(pc key) (control_plane/handshake.py). PC keys are machine ids, not
random secrets: an unsalted hash of one is reversed offline by trying candidates. The audit
shows HMAC-SHA-256(server secret, stored hash) cut to 64 bits instead: enough to tell two
machines apart, useless without the server's secret.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

_STORED = "pc_key_hash"
SHOWN = "pc_key_fingerprint"


@dataclass(frozen=True)
class KeyFingerprint:
    key: bytes
    """A server secret (derived from ERO_RECORD_KEY by the root)."""

    def of(self, stored_hash: str) -> str:
        return hmac.new(self.key, stored_hash.encode(), hashlib.sha256).hexdigest()[:16]

    def shown(self, document: dict[str, Any] | None) -> dict[str, Any] | None:
        """`document` as a reader may see it: a stored PC-key hash replaced by its fingerprint."""
        if document is None or _STORED not in document:
            return document
        shown = {name: value for name, value in document.items() if name != _STORED}
        stored = document[_STORED]
        shown[SHOWN] = self.of(stored) if isinstance(stored, str) else None
        return shown
