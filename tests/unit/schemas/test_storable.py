"""What no store can hold is found, with its JSON path, in time linear in the document."""

from __future__ import annotations

import pytest

from schemas.storable import MAX_DEPTH, unstorable


def test_a_real_document_is_storable() -> None:
    document = {"erp": "ebp", "options": {"x": 2**63 - 1, "y": -(2**63), "z": "é", "w": 1.5}}
    assert unstorable(document) is None


@pytest.mark.parametrize(
    ("document", "path", "words"),
    [
        ({"options": {"x": 2**64}}, ("options", "x"), "64 bits"),
        ({"options": {"x": -(2**63) - 1}}, ("options", "x"), "64 bits"),
        ({"a": [1, float("nan")]}, ("a", 1), "finite"),
        ({"a": float("inf")}, ("a",), "finite"),
        ({"a": "x\x00y"}, ("a",), "NUL"),
        ({"a\x00": 1}, ("a\x00",), "NUL"),
        ({"a": "\ud800"}, ("a",), "surrogate"),
    ],
)
def test_each_unstorable_value_is_named_by_its_path(
    document: object, path: tuple[object, ...], words: str
) -> None:
    found = unstorable(document, ("body",))
    assert found is not None
    assert found.path == ("body", *path)
    assert words in found.reason


def test_hostile_nesting_is_refused_without_recursion() -> None:
    """100 000 levels (Python's own recursion stops at 1 000): refused at the limit, its path
    that long; and 200 000 values side by side are walked whole."""
    deep: list[object] = []
    for _ in range(100_000):
        deep = [deep]
    found = unstorable(deep)
    assert found is not None
    assert len(found.path) == MAX_DEPTH
    wide = {str(i): [i] * 10 for i in range(20_000)}
    assert unstorable(wide) is None
    wide["19999"].append(2**64)
    late = unstorable(wide)
    assert late is not None
    assert late.path == ("19999", 10)
