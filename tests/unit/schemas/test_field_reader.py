"""The fields' reading agrees with pydantic where it reads, and refuses, at import, what it
could not read as pydantic does."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Annotated

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    field_validator,
)

from schemas.field_reader import WHITE_SPACE, aware_instant, fields_reading
from schemas.sync_event import Identifier

IDENTIFIER = TypeAdapter(Identifier)
INSTANT = TypeAdapter(AwareDatetime)


def test_white_space_is_what_pydantic_strips() -> None:
    stripped = {
        character
        for character in map(chr, range(sys.maxunicode + 1))
        if not 0xD800 <= ord(character) <= 0xDFFF
        and IDENTIFIER.validate_python(f"{character}a{character}") == "a"
    }
    assert stripped == set(WHITE_SPACE)
    assert "\x1c".strip() == ""  # why str.strip() alone would not do


def _written(at: datetime, digits: str, offset_minutes: int) -> str:
    sign = "-" if offset_minutes < 0 else "+"
    hours, minutes = divmod(abs(offset_minutes), 60)
    fraction = f".{digits}" if digits else ""
    zone = "Z" if offset_minutes == 0 and digits.endswith("0") else f"{sign}{hours:02}:{minutes:02}"
    return f"{at:%Y-%m-%dT%H:%M:%S}{fraction}{zone}"


# RFC 3339 text as connectors write it (up to nine digits of fraction, any offset), and text of
# its layout with anything between the seconds and the offset, impossible dates and offsets:
# each must be refused or read as pydantic reads it.
instants = st.builds(
    _written,
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)),
    st.text("0123456789", max_size=9),
    st.integers(-23 * 60 - 59, 23 * 60 + 59),
) | st.from_regex(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[0-9.,:+\-Z Tt]{0,12}"
    r"(Z|[+-][0-9]{2}:[0-9]{2})",
    fullmatch=True,
)


@settings(max_examples=3000, deadline=None)
@given(instants)
def test_an_instant_read_is_the_one_pydantic_reads(text: str) -> None:
    read = aware_instant(text)
    try:
        expected: datetime | None = INSTANT.validate_python(text)
    except ValueError:
        expected = None
    if read is None:
        return  # left to pydantic
    assert expected is not None
    assert (read, read.utcoffset()) == (expected, expected.utcoffset())


class _Pattern(BaseModel):
    code: Annotated[str, StringConstraints(pattern="^[A-Z]+$")]


class _Float(BaseModel):
    ratio: float


class _Validated(BaseModel):
    at: AwareDatetime
    name: str = Field(max_length=3)

    @field_validator("name")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()


class _Aliased(BaseModel):
    name: str = Field(alias="Name")


class _Either(BaseModel):
    value: int | str


class _Lowered(BaseModel):
    model_config = ConfigDict(str_to_lower=True)

    name: str


@pytest.mark.parametrize("model", [_Pattern, _Float, _Validated, _Aliased, _Either, _Lowered])
def test_a_field_pydantic_reads_otherwise_is_refused_at_import(model: type[BaseModel]) -> None:
    with pytest.raises(TypeError):
        fields_reading(model)


def test_validators_the_caller_applies_are_allowed() -> None:
    reading = fields_reading(_Validated, validated=("name",))
    assert reading.instants == ("at",)
