"""An insert written the plain clickhouse-connect way, for a peer whose sink runs in its own
thread: known event_ids skipped (the same first-insert-wins as ours), then the rows as columns
through `client.insert`. For Quix's synchronous sink this is faster than our JSON lines
(measured 25k vs 20k events/s): the peer gets the faster one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from infra.clickhouse import ClickHouse
from projections.sync_events import Row, known_ids
from schemas.text import fold


def insert_rows(clickhouse: ClickHouse, rows: Sequence[Row]) -> int:
    times = [r.event.occurred_at for r in rows]
    keys = [(r.accepted.licence_id, str(r.event.event_id)) for r in rows]
    known = known_ids(clickhouse, keys, min(times), max(times))
    new = [r for r, key in zip(rows, keys, strict=True) if key not in known]
    if not new:
        return 0
    values: dict[str, list[Any]] = {
        "licence_id": [r.accepted.licence_id for r in new],
        "received_at": [r.accepted.received_at for r in new],
        "version": [r.accepted.version for r in new],
        "event_id": [r.event.event_id for r in new],
        "connector_id": [r.event.connector_id for r in new],
        "occurred_at": [r.event.occurred_at for r in new],
        "operation": [r.event.operation for r in new],
        "reference": [r.event.reference for r in new],
        "status": [r.event.status or "" for r in new],
        "code": [r.event.code or "" for r in new],
        "message": [r.event.message for r in new],
        "message_folded": [fold(r.event.message) for r in new],
        "sync_id": [r.event.sync_id or "" for r in new],
        "config_id": [r.event.config_id or "" for r in new],
        "attributes": [r.event.attributes for r in new],
        "level": [r.classification.level.value for r in new],
        "origin": [r.classification.origin.value for r in new],
        "rule_id": [r.classification.rule_id for r in new],
        "rule_version": [r.classification.rule_version for r in new],
        "fingerprint": [r.classification.fingerprint for r in new],
        "message_template": [r.classification.template for r in new],
        "remediation_hint": [r.classification.remediation.hint or "" for r in new],
        "remediation_hint_en": [r.classification.remediation.hint_en or "" for r in new],
        "remediation_url": [r.classification.remediation.url or "" for r in new],
        "remediation_action": [r.classification.remediation.action or "" for r in new],
    }
    clickhouse.insert_columns("sync_events", tuple(values), list(values.values()))
    return len(new)
