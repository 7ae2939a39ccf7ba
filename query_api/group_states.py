"""What state a licence's error groups are shown in (schemas/group_state.py), decided at read
time: a resolved group with an event after its resolution is `regressed`; an ignored group is
open again once its duration has passed or more than its N events occurred since the ignoring.
No background job: every read decides from the group's events and the state its members set.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from infra.clickhouse import ClickHouse
from schemas.control import Entity
from schemas.group_state import GroupStateDoc, ShownState

StateFilter = Literal["open", "resolved", "ignored", "all"]
"""`open` (the default views) holds open and regressed groups."""

# control_entities is sorted by licence first: one range read for the licence's groups.
_STATES = """
SELECT argMax(body, revision) FROM control_entities FINAL
WHERE licence_id = {licence_id:String} AND entity = {entity:String}
GROUP BY entity_id
"""

_EVENTS_SINCE = """
SELECT fingerprint, uniqExact(event_id) FROM sync_events
WHERE licence_id = {licence_id:String}
    AND occurred_at > fromUnixTimestamp64Milli({earliest:Int64}, 'UTC')
    AND fingerprint IN {fingerprints:Array(UInt64)}
    AND toUnixTimestamp64Milli(occurred_at)
        > transform(fingerprint, {fingerprints:Array(UInt64)}, {since:Array(Int64)}, toInt64(0))
GROUP BY fingerprint
"""


def _millis(at: datetime) -> int:
    return int(at.timestamp() * 1000)


@dataclass(frozen=True)
class GroupStates:
    """A licence's groups with a state of their own, as decided at `now`."""

    docs: Mapping[int, GroupStateDoc]
    still_ignored: frozenset[int]
    now: datetime

    def shown(self, fingerprint: int, last_event_at: datetime) -> ShownState:
        doc = self.docs.get(fingerprint)
        if doc is None or doc.state == "open":
            return "open"
        if doc.state == "resolved":
            return "regressed" if last_event_at > doc.since else "resolved"
        return "ignored" if fingerprint in self.still_ignored else "open"

    def having(self, wanted: StateFilter) -> tuple[str, str, dict[str, Any]]:
        """The WHERE and HAVING clauses (over rows grouped by fingerprint, with
        max(last_event_at)) keeping the groups shown in `wanted`, and their parameters."""
        resolved = {fp: doc.since for fp, doc in self.docs.items() if doc.state == "resolved"}
        parameters: dict[str, Any] = {
            "wf_resolved": list(resolved),
            "wf_resolved_at": [_millis(at) for at in resolved.values()],
            "wf_ignored": sorted(self.still_ignored),
        }
        resolved_at = (
            "transform(fingerprint, {wf_resolved:Array(UInt64)}, {wf_resolved_at:Array(Int64)}, "
            "toInt64(-1))"
        )
        last = "toUnixTimestamp64Milli(max(last_event_at))"
        if wanted == "all":
            return "1", "1", parameters
        if wanted == "ignored":
            return "fingerprint IN {wf_ignored:Array(UInt64)}", "1", parameters
        if wanted == "resolved":
            return (
                "fingerprint IN {wf_resolved:Array(UInt64)}",
                f"{last} <= {resolved_at}",
                parameters,
            )
        return (
            "fingerprint NOT IN {wf_ignored:Array(UInt64)}",
            f"{last} > {resolved_at}",
            parameters,
        )


async def group_states(
    clickhouse: ClickHouse, licence_id: str, now: datetime | None = None
) -> GroupStates:
    now = now or datetime.now(UTC)
    rows = await clickhouse.arows(
        _STATES, {"licence_id": licence_id, "entity": Entity.ERROR_GROUP.value}
    )
    docs = {
        int(doc.fingerprint): doc
        for doc in (GroupStateDoc.model_validate_json(body) for (body,) in rows)
    }
    ignored = {
        fp: doc
        for fp, doc in docs.items()
        if doc.state == "ignored" and (doc.ignore_until is None or doc.ignore_until > now)
    }
    counted = {fp: doc for fp, doc in ignored.items() if doc.ignore_events is not None}
    exceeded: set[int] = set()
    if counted:
        since = [_millis(doc.since) for doc in counted.values()]
        found = await clickhouse.arows(
            _EVENTS_SINCE,
            {
                "licence_id": licence_id,
                "earliest": min(since),
                "fingerprints": list(counted),
                "since": since,
            },
        )
        exceeded = {fp for fp, n in found if n > (counted[fp].ignore_events or 0)}
    return GroupStates(docs, frozenset(set(ignored) - exceeded), now)
