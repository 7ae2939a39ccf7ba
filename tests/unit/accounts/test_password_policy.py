"""The password policy, rule by rule: what the server refuses and why."""

from __future__ import annotations

import pytest

from accounts.password_policy import (
    ESTIMATED_CHARS,
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


def test_only_the_start_is_estimated() -> None:
    """The estimator's cost grows faster than the length (0.5 s for 128 repeated characters):
    it judges the first ESTIMATED_CHARS, where a guessable password is guessable."""
    strong = "les cerises de juillet sont mûres et le vent tourne vers l’ouest"
    assert len(strong) == ESTIMATED_CHARS
    assert failed_rules(strong + "a" * 60, DUPONT) == []
    assert failed_rules("a1" * 64, DUPONT) == [GUESSABLE]
