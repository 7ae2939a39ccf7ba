"""What a password must be, judged on the server; the page lists the same rules and mirrors them.

NIST SP 800-63B's line: long enough, any characters (spaces and Unicode included, normalised
with NFKC so that one password typed two ways is one password), no forced mix of classes,
refused when common or easily guessed (zxcvbn's estimate, with the person's own words as
hints) or when it holds the e-mail or the shop name.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from zxcvbn import zxcvbn

from schemas.accounts import PasswordPolicy, PolicyRule

MIN_CHARS = 12
MAX_CHARS = 128
MIN_SCORE = 3
"""zxcvbn's 0-4 scale: 3 is "safely unguessable", about 10^8 guesses and more."""
ESTIMATED_CHARS = 64
"""zxcvbn's matching grows faster than the length (0.5 s for 128 repeated characters): it
judges the start only, which is where a guessable password is guessable."""
MIN_WORD_CHARS = 3
"""A shop name or an e-mail's local part shorter than this is no clue to refuse."""

TOO_SHORT = PolicyRule(
    code="password_too_short",
    fr=f"Au moins {MIN_CHARS} caractères.",
    en=f"At least {MIN_CHARS} characters.",
)
TOO_LONG = PolicyRule(
    code="password_too_long",
    fr=f"Au plus {MAX_CHARS} caractères.",
    en=f"At most {MAX_CHARS} characters.",
)
ANY_CHARACTERS = PolicyRule(
    code="password_any_characters",
    fr="Tous les caractères sont permis, espaces et accents compris ; aucun mélange imposé.",
    en="Any characters are allowed, spaces and accents included; no mix is required.",
)
GUESSABLE = PolicyRule(
    code="password_guessable",
    fr="Pas un mot de passe courant ou facile à deviner (une phrase de plusieurs mots convient).",
    en="Not a common or easily guessed password (a phrase of several words works).",
)
HAS_EMAIL = PolicyRule(
    code="password_has_email",
    fr="Ne contient pas votre adresse e-mail.",
    en="Does not contain your e-mail address.",
)
HAS_SHOP_NAME = PolicyRule(
    code="password_has_shop_name",
    fr="Ne contient pas le nom de votre boutique.",
    en="Does not contain your shop's name.",
)

POLICY = PasswordPolicy(
    min_chars=MIN_CHARS,
    max_chars=MAX_CHARS,
    rules=[TOO_SHORT, TOO_LONG, ANY_CHARACTERS, GUESSABLE, HAS_EMAIL, HAS_SHOP_NAME],
)


def normalise(password: str) -> str:
    return unicodedata.normalize("NFKC", password)


def _folded(text: str) -> str:
    """Letters and digits only, case folded: "Boutique-Dupont" is in "ma boutique dupont"."""
    return "".join(char for char in normalise(text).casefold() if char.isalnum())


@dataclass(frozen=True)
class Owner:
    """Whose password it is: what it must not hold."""

    email: str | None = None
    shop_name: str | None = None
    name: str | None = None


def _clues(owner: Owner) -> Iterable[tuple[PolicyRule, str]]:
    if owner.email:
        yield HAS_EMAIL, owner.email
        yield HAS_EMAIL, owner.email.split("@", 1)[0]
    if owner.shop_name:
        yield HAS_SHOP_NAME, owner.shop_name


def failed_rules(password: str, owner: Owner) -> list[PolicyRule]:
    """The rules `password` does not meet, in the policy's order; empty: acceptable."""
    password = normalise(password)
    if len(password) < MIN_CHARS:
        return [TOO_SHORT]
    if len(password) > MAX_CHARS:
        return [TOO_LONG]
    failed: list[PolicyRule] = []
    folded = _folded(password)
    for rule, clue in _clues(owner):
        word = _folded(clue)
        if len(word) >= MIN_WORD_CHARS and word in folded and rule not in failed:
            failed.append(rule)
    hints = [hint for hint in (owner.email, owner.shop_name, owner.name) if hint]
    estimate = zxcvbn(password[:ESTIMATED_CHARS], user_inputs=hints, max_length=ESTIMATED_CHARS)
    if estimate["score"] < MIN_SCORE:
        failed.insert(0, GUESSABLE)
    return failed
