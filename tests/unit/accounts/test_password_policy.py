"""The password policy, rule by rule: what the server refuses and why."""

from __future__ import annotations

import time

import pytest

from accounts.password_policy import (
    GUESSABLE,
    HAS_EMAIL,
    HAS_SHOP_NAME,
    MAX_CHARS,
    TOO_LONG,
    TOO_SHORT,
    Owner,
    failed_rules,
)

DUPONT = Owner(email="jean.dupont@boutique-dupont.fr", shop_name="Boutique Dupont", name="Jean")


@pytest.mark.parametrize(
    ("password", "failed"),
    [
        ("", [TOO_SHORT]),
        ("onze carac.", [TOO_SHORT]),  # 11
        ("x" * (MAX_CHARS + 1), [TOO_LONG]),
        ("motdepasse123", [GUESSABLE]),
        ("azertyuiop12", [GUESSABLE]),
        ("P@ssw0rd12345", [GUESSABLE]),
        ("jean.dupont@boutique-dupont.fr!", [GUESSABLE, HAS_EMAIL, HAS_SHOP_NAME]),
        ("le jean.dupont du soir, voilà", [HAS_EMAIL]),  # the e-mail's local part
        ("ma BOUTIQUE  dupont préférée 42", [HAS_SHOP_NAME]),  # any case, any spacing
        ("les cerises de juillet sont mûres", []),
        ("été à l’île de Ré, 2 vélos 🚲", []),  # spaces, accents, an emoji: no class forced
        ("Tr0ub4dor&3 et un cheval", []),
    ],
)
def test_each_rule(password: str, failed: list[object]) -> None:
    assert failed_rules(password, DUPONT) == failed


def test_unicode_forms_are_one_password() -> None:
    composed, decomposed = "café crème à l’étage", "cafe\u0301 cre\u0300me a\u0300 l’e\u0301tage"
    assert failed_rules(composed, DUPONT) == failed_rules(decomposed, DUPONT) == []


def test_a_long_repetitive_password_is_judged_quickly() -> None:
    """The estimator's cost grows faster than the length: only the start is estimated."""
    started = time.perf_counter()
    assert failed_rules("a1" * 64, DUPONT) == [GUESSABLE]
    assert time.perf_counter() - started < 0.3
