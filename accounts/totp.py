"""The optional second factor: time-based codes (RFC 6238, pyotp) and their QR code (segno)."""

from __future__ import annotations

import io
import time

import pyotp
import segno

ISSUER = "E-Connecteur Cloud"
STEP_SECONDS = 30
WINDOW = 1
"""Codes of the step before and after are accepted too: a phone's clock may drift 30 s."""


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="svg", scale=4, xmldecl=False, border=2)
    return buffer.getvalue().decode()


def matching_step(secret: str, code: str, after_step: int | None) -> int | None:
    """The time step `code` belongs to, within the window, if later than `after_step` (a code
    is used once: a code seen by someone looking over a shoulder cannot be replayed)."""
    code = "".join(code.split())
    if not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    now = int(time.time()) // STEP_SECONDS
    for step in range(now - WINDOW, now + WINDOW + 1):
        if (after_step is None or step > after_step) and pyotp.utils.strings_equal(
            totp.generate_otp(step), code
        ):
            return step
    return None
