"""The JSON Schema of SyncEvent v1, exported for connector vendors."""

from __future__ import annotations

from pathlib import Path

import orjson

from schemas.sync_event import SyncEvent

SYNC_EVENT_SCHEMA_FILE = Path(__file__).parent / "json" / "sync_event.v1.json"


def sync_event_json_schema() -> bytes:
    schema = SyncEvent.model_json_schema()
    schema["$id"] = "https://ero.example/schemas/sync_event.v1.json"
    return orjson.dumps(schema, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


def export_sync_event_schema(path: Path = SYNC_EVENT_SCHEMA_FILE) -> Path:
    path.write_bytes(sync_event_json_schema())
    return path
