"""The web interface's dictionary: every area's file is loaded, and says everything twice.

The words live in `web/static/js/words/<area>.js`, each `export default { fr: {...}, en: {...} }`
with one key per line. A key missing in one language would show the other language's text (or
the key itself); a key defined in two areas would have one silently win.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

import pytest

from schemas.control import ControlKind

JS = Path(__file__).parents[3] / "web" / "static" / "js"
WORDS = JS / "words"
KEY = re.compile(r"^    (\w+):", re.M)


def _blocks(path: Path) -> dict[str, list[str]]:
    text = path.read_text(encoding="utf-8")
    fr = text.index("\n  fr: {")
    en = text.index("\n  en: {")
    assert fr < en, f"{path.name}: the French block comes first"
    return {"fr": KEY.findall(text[fr:en]), "en": KEY.findall(text[en:])}


AREAS = sorted(WORDS.glob("*.js"))


def test_every_area_is_loaded() -> None:
    i18n = (JS / "i18n.js").read_text(encoding="utf-8")
    imported = set(re.findall(r'from "\./words/([\w-]+)\.js"', i18n))
    assert imported == {path.stem for path in AREAS}


@pytest.mark.parametrize("path", AREAS, ids=lambda path: path.stem)
def test_an_area_says_everything_in_both_languages(path: Path) -> None:
    blocks = _blocks(path)
    for language, keys in blocks.items():
        twice = sorted({key for key in keys if keys.count(key) > 1})
        assert not twice, f"{path.name} defines twice in {language}: {twice}"
    assert set(blocks["fr"]) - set(blocks["en"]) == set(), f"{path.name}: not in English"
    assert set(blocks["en"]) - set(blocks["fr"]) == set(), f"{path.name}: not in French"


def test_no_key_belongs_to_two_areas() -> None:
    owner: dict[str, str] = {}
    shared = []
    for path in AREAS:
        for key in _blocks(path)["fr"]:
            if key in owner:
                shared.append(f"{key} ({owner[key]}, {path.stem})")
            owner[key] = path.stem
    assert not shared


def test_every_control_kind_has_its_name_in_the_console() -> None:
    """The console's history and journal name each change by its kind (console/common.js)."""
    console = _blocks(WORDS / "console.js")["fr"]
    missing = [
        kind
        for kind in get_args(ControlKind)
        if f"console_kind_{kind.replace('.', '_')}" not in console
    ]
    assert not missing
