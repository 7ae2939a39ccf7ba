"""Error groups: the message's template (variable parts masked) and a stable 64-bit fingerprint.

Identical errors from different connectors, with different order numbers, SKUs, e-mails,
amounts, quoted values or dates, share one template and so one fingerprint.

Every mask is linear in the message: a repetition that may start at any position is bounded
(an e-mail's parts, an amount's digits, how far a word may be from its first digit), since an
unbounded one rescans the rest of the line from each start (`"1 " * 8192` cost 8 s, `"a-" *
8192` 5 s). And only the message's first TEMPLATED_CHARS make its template.
"""

from __future__ import annotations

import hashlib
import re

from schemas.text import fold

TEMPLATED_CHARS = 1024
"""What identifies a problem is at the start of its message; the rest (a stack trace, a dump)
would only split a group and cost time."""

_MASKS: tuple[tuple[re.Pattern[str], str], ...] = (
    # RFC 5321's limits: a local part of at most 64 characters, labels of at most 63.
    (re.compile(r"\b[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}\b"), "<email>"),
    (re.compile(r"\bhttps?://\S+"), "<url>"),
    # Quoted values; an apostrophe inside a word (l'article) opens no quote.
    (
        re.compile(r"(?<!\w)(?:'[^']{1,120}'|\"[^\"]{1,120}\"|«[^»]{1,120}»|‘[^’]{1,120}’)(?!\w)"),
        "'<v>'",
    ),
    (
        re.compile(
            r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?\b"
            r"|\b\d{1,2}/\d{1,2}/\d{2,4}\b|\b\d{1,2}[:h]\d{2}(?::\d{2})?\b"
        ),
        "<date>",
    ),
    (
        re.compile(
            r"(?<![\w.,])\d[\d  ]{0,24}(?:[.,]\d{1,6})?\s?(?:€|eur|euros?|\$|usd|£)(?!\w)", re.I
        ),
        "<amount>",
    ),
    # Numbers and references alike (000146, WC-2291, REF-88812, #10022, 1 284): the same order
    # is numbered differently by different shops, and must still land in the same group.
    # An HTTP status is kept: HTTP 500 and HTTP 401 are different problems.
    (
        re.compile(
            r"(?<!HTTP )(?<!http )(?:#\d+|\d{1,3}(?:[  ]\d{3})+(?:[.,]\d+)?|\b\d+[.,]\d+\b"
            r"|\b(?=[\w-]{0,64}\d)[\w]+(?:[-_/.][\w]+)*\b)"
        ),
        "<n>",
    ),
)


def template(message: str) -> str:
    """The message's first TEMPLATED_CHARS with their variable parts masked, whitespace
    collapsed."""
    message = message[:TEMPLATED_CHARS]
    for pattern, mask in _MASKS:
        message = pattern.sub(mask, message)
    return " ".join(message.split())


def fingerprint(operation: str, origin: str, message_template: str) -> int:
    """A stable unsigned 64-bit id of (operation, origin, folded template)."""
    key = f"{operation}\x1f{origin}\x1f{fold(message_template)}".encode()
    return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big")
