"""The JSON Schemas of SyncEvent, one file per version, exported for connector vendors."""

from __future__ import annotations

from pathlib import Path

import orjson
from pydantic import BaseModel

from schemas.sync_event import SyncEvent, SyncEventV1

SCHEMA_DIR = Path(__file__).parent / "json"
VERSIONS: dict[int, type[BaseModel]] = {1: SyncEventV1, 2: SyncEvent}


def schema_file_name(version: int) -> str:
    return f"sync_event.v{version}.json"


def sync_event_json_schema(version: int) -> bytes:
    schema = VERSIONS[version].model_json_schema()
    schema["$id"] = f"https://ero.example/schemas/{schema_file_name(version)}"
    return orjson.dumps(schema, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


def export_sync_event_schemas(directory: Path = SCHEMA_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for version in VERSIONS:
        path = directory / schema_file_name(version)
        path.write_bytes(sync_event_json_schema(version))
        written.append(path)
    return written
