"""SQL conditions that always start with the caller's licence, with every value bound."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Conditions:
    """A WHERE clause under construction. It cannot be built without a licence."""

    licence_id: str
    clauses: list[str] = field(default_factory=list)
    parameters: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.clauses.append("licence_id = {licence_id:String}")
        self.parameters["licence_id"] = self.licence_id

    def add(self, clause: str, **parameters: Any) -> Conditions:
        self.clauses.append(clause)
        self.parameters.update(parameters)
        return self

    @property
    def sql(self) -> str:
        return " AND ".join(self.clauses)


@dataclass(frozen=True)
class Statement:
    """SQL with its bound parameters: what an endpoint runs (and the benchmark runs raw)."""

    sql: str
    parameters: dict[str, Any]
