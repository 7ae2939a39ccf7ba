"""An e-mail address is one line: a NUL or a line break would reach SMTP and the log."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from schemas.control import Email

EMAIL: TypeAdapter[str] = TypeAdapter(Email)


@pytest.mark.parametrize(
    "bad", ["a\x00@b.fr", "a@b.fr\x7f", "a@b\r\nBcc: x@y.fr", "a b@c.fr", "ab.fr"]
)
def test_control_characters_and_spaces_are_refused(bad: str) -> None:
    with pytest.raises(ValidationError):
        EMAIL.validate_python(bad)


def test_an_address_is_kept_as_typed() -> None:
    assert EMAIL.validate_python("  Jean.Dupont@Boutique.fr ") == "Jean.Dupont@Boutique.fr"
