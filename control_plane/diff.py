"""The differences between two JSON documents, as JSON-pointer paths."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class Change(BaseModel):
    path: str
    op: Literal["added", "removed", "changed"]
    before: Any = None
    after: Any = None
    label_fr: str = Field("", description="The field's name for people, in French.")
    label_en: str = Field("", description="The field's name for people, in English.")


def json_diff(before: Any, after: Any, path: str = "") -> list[Change]:
    if isinstance(before, dict) and isinstance(after, dict):
        changes: list[Change] = []
        for key in sorted(before.keys() | after.keys()):
            here = f"{path}/{str(key).replace('~', '~0').replace('/', '~1')}"
            if key not in before:
                changes.append(Change(path=here, op="added", after=after[key]))
            elif key not in after:
                changes.append(Change(path=here, op="removed", before=before[key]))
            else:
                changes += json_diff(before[key], after[key], here)
        return changes
    if before == after:
        return []
    return [Change(path=path or "/", op="changed", before=before, after=after)]
