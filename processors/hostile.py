"""The worst messages known for classification: long runs of what the masks and rules look
for (digits and separators, dashes, dots, `@`, quotes), 16 KiB each. The tests bound the time
classifying one of them takes; `ero-bench classify` measures them beside the fleet's mix."""

from __future__ import annotations

HOSTILE_CHARS = 16 * 1024

_UNITS = {
    "digits and spaces": "1 ",
    "digits and no-break spaces": "1\u00a0",
    "digits and dots": "1.",
    "digits and commas": "1,",
    "digits and dashes": "1-",
    "words and dashes": "a-",
    "words and dots": "a.",
    "words and plus signs": "a+",
    "at signs": "a@",
    "quotes": "'a ",
    "an e-mail's local part": "a.b-c+d",
    "an amount without currency": "1 284,",
}


def hostile_messages() -> dict[str, str]:
    """Each kind, as a 16 KiB message."""
    return {
        kind: (unit * (HOSTILE_CHARS // len(unit) + 1))[:HOSTILE_CHARS]
        for kind, unit in _UNITS.items()
    }
