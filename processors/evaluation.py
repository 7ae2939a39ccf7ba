"""Accuracy of the classifier on labelled corpora (JSONL with an `expected` object per line).

`expected` holds the `level`, `origin` and `action` every line is scored on; a line may also
name the `rule` that must explain it (a problem with a next step of its own, not a fallback's):
the `rule` score counts only the lines that name one."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import orjson

from processors.classifier import Classifier
from schemas import SyncEvent

CORPUS_DIR = Path(__file__).parent / "corpus"
BUNDLED_CORPORA = tuple(sorted(CORPUS_DIR.glob("*.jsonl")))
PRODUCT_CORPUS = CORPUS_DIR / "sync_messages.jsonl"
"""The product team's lines, as the connectors write them (the end-to-end tests post them)."""
FIELDS = ("level", "origin", "action")
RULE = "rule"


@dataclass
class Scores:
    name: str
    lines: int = 0
    ruled: int = 0
    """Lines that name the rule expected to explain them."""
    right: dict[str, int] = field(default_factory=lambda: dict.fromkeys((*FIELDS, RULE), 0))
    misses: list[str] = field(default_factory=list)

    def accuracy(self, name: str) -> float:
        lines = self.ruled if name == RULE else self.lines
        return self.right[name] / lines if lines else 0.0

    def row(self) -> str:
        cells = "  ".join(f"{100 * self.accuracy(name):6.1f} %" for name in FIELDS)
        rules = f"{100 * self.accuracy(RULE):6.1f} %" if self.ruled else f"{'-':>8}"
        return f"{self.name:<40.40} {self.lines:>6}  {cells}  {rules}"


def evaluate(classifier: Classifier, name: str, lines: Iterable[bytes]) -> Scores:
    scores = Scores(name)
    now = datetime.now(UTC)
    for raw in lines:
        if not raw.strip():
            continue
        row = orjson.loads(raw)
        expected = row["expected"]
        event = SyncEvent(
            connector_id="eval",
            occurred_at=now,
            operation=row["operation"],
            status=row.get("status"),
            code=row.get("code"),
            message=row["message"],
        )
        result = classifier.classify(event)
        got = {
            "level": result.level.value,
            "origin": result.origin.value,
            "action": result.remediation.action if result.level.value != "success" else None,
        }
        scored: tuple[str, ...] = FIELDS
        if RULE in expected:
            got[RULE] = result.rule_id
            scored = (*FIELDS, RULE)
            scores.ruled += 1
        scores.lines += 1
        for name in scored:
            if got[name] == expected[name]:
                scores.right[name] += 1
        wrong = [f"{n}={got[n]} (want {expected[n]})" for n in scored if got[n] != expected[n]]
        if wrong:
            scores.misses.append(f"{', '.join(wrong)} [{result.rule_id}]: {row['message']}")
    return scores


def table(all_scores: Iterable[Scores]) -> str:
    header = f"{'corpus':<40} {'lines':>6}  {'level':>8}  {'origin':>8}  {'action':>8}  {'rule':>8}"
    return "\n".join([header, *(scores.row() for scores in all_scores)])
