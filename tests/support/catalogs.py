"""Rule catalogs for the tests that publish one to a running pipeline."""

from __future__ import annotations

import json
from pathlib import Path

from processors.catalog import DEFAULT_CATALOG, load_catalog

NEW_RULE = """
[[rules]]
id = "cms.quota_xyzq"
patterns = ["quota xyzq"]
origin = "cms"
action = "clear_cache"
kb = "quota"
hint_fr = "Le quota XYZQ du site est atteint."
hint_en = "The shop's XYZQ quota is reached."
"""


def next_catalog(directory: Path) -> tuple[Path, int]:
    """The bundled catalog with NEW_RULE added, one version up, as a file."""
    version = load_catalog().version + 1
    catalog = directory / "rules.toml"
    catalog.write_text(
        DEFAULT_CATALOG.read_text(encoding="utf-8").replace(
            f"version = {version - 1}\n", f"version = {version}\n", 1
        )
        + NEW_RULE,
        encoding="utf-8",
    )
    return catalog, version


def applied_versions(log: Path) -> set[int]:
    """The catalog versions a worker's log says its classifier switched to."""
    records = (json.loads(line) for line in log.read_text().splitlines() if line.startswith("{"))
    return {record["version"] for record in records if record.get("event") == "rules_applied"}
