"""What JSON may enter the control plane: values every store on the way can hold.

Free JSON (a configuration's options, any body of a control command) passes three stores: the
control topic (pydantic's JSON, which refuses lone surrogates), ClickHouse's `body` columns
(orjson, which refuses integers beyond 64 bits) and the connector that fetches it back. One
walker decides for all of them, so the API refuses (422, naming the JSON path) what the
projection could never store, and the projection dead-letters with the same reason what
reached the topic anyway.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

MAX_DEPTH = 32
"""Objects and arrays nested deeper than this are refused (a real document nests 3 levels)."""
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Unstorable:
    """The first value of a document that cannot be stored, and why."""

    path: Path
    reason: str

    @property
    def dotted(self) -> str:
        return ".".join(str(part) for part in self.path) or "(document)"


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return "text holds a NUL character (\\u0000)"
    if not text.isascii():
        try:
            text.encode()
        except UnicodeEncodeError:
            return "text holds a lone UTF-16 surrogate (\\ud800-\\udfff): not Unicode"
    return None


def _scalar_problem(value: object) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        if not _INT64_MIN <= value <= _INT64_MAX:
            return f"integer beyond 64 bits (allowed: {_INT64_MIN} to {_INT64_MAX})"
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else "not a finite number (NaN or Infinity)"
    if isinstance(value, str):
        return _text_problem(value)
    return f"not a JSON value ({type(value).__name__})"


def unstorable(document: Any, root: Sequence[str | int] = ()) -> Unstorable | None:
    """The first problem of `document` (parsed JSON: dicts, lists, scalars), or None.

    Iterative, so a hostile nesting costs no recursion; linear in the document's size."""
    pending: list[tuple[Path, Any, int]] = [(tuple(root), document, 0)]
    while pending:
        path, value, depth = pending.pop()
        if isinstance(value, dict | list):
            if depth >= MAX_DEPTH:
                return Unstorable(path, f"nested deeper than {MAX_DEPTH} levels")
            items = value.items() if isinstance(value, dict) else enumerate(value)
            children: list[tuple[Path, Any, int]] = []
            for key, item in items:
                if isinstance(key, str) and (problem := _text_problem(key)) is not None:
                    return Unstorable((*path, key), f"key: {problem}")
                children.append(((*path, key), item, depth + 1))
            pending.extend(reversed(children))  # popped in document order
            continue
        problem = _scalar_problem(value)
        if problem is not None:
            return Unstorable(path, problem)
    return None
