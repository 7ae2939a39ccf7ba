"""Control-plane contracts without the engines: action names, labels, configuration diffs."""

from __future__ import annotations

import tomllib
from pathlib import Path

from control_plane.diff import json_diff
from schemas.actions import ACTIONS, RESET_PC_KEY, ActionName

RULES = Path(__file__).resolve().parents[1] / "processors" / "rules.toml"


def test_every_action_has_french_and_english_labels() -> None:
    assert set(ACTIONS) == set(ActionName)
    assert all(spec.label_fr and spec.label_en for spec in ACTIONS.values())
    assert ACTIONS[ActionName.CLEAR_CACHE].label_fr == "Effacer le cache E-Connecteur"


def test_the_classifier_suggests_only_actions_the_queue_knows() -> None:
    rules = tomllib.loads(RULES.read_text())
    suggested = {
        rule["action"]
        for rules_list in rules.values()
        if isinstance(rules_list, list)
        for rule in rules_list
        if isinstance(rule, dict) and rule.get("action")
    }
    assert suggested, "no remediation action found in processors/rules.toml"
    assert suggested <= {name.value for name in ActionName} | {RESET_PC_KEY}


def test_json_diff_names_added_removed_and_changed_paths() -> None:
    before = {"a": 1, "b": {"c": [1], "d": True}, "gone": "x"}
    after = {"a": 2, "b": {"c": [1, 2], "d": True}, "new/key": None}
    changes = {(c.path, c.op) for c in json_diff(before, after)}
    assert changes == {
        ("/a", "changed"),
        ("/b/c", "changed"),
        ("/gone", "removed"),
        ("/new~1key", "added"),
    }
    assert json_diff(before, before) == []
