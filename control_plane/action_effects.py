"""A remote action's measured effect: did the errors of the group that suggested it stop in
the syncs after it ran? An action is tied to its group by the report line that suggested it
(`source_event_id`); its effect compares the group's errors in the day before the action
finished with those after it, over the licence's next sync runs.

- `stopped`: none of the group's errors since, and at least NEXT_SYNCS runs have started;
- `continues`: the group's errors came back after it;
- `too_early`: fewer runs since than NEXT_SYNCS, none of its errors yet.

One query per question for a whole batch of actions, every value bound.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from control_plane.store import ControlStore
from schemas.control import RemoteActionDoc

NEXT_SYNCS = 3
AFTER = timedelta(days=1)
"""Runs and errors counted after an action, at most this long after it."""
MAX_ACTIONS = 500

ACTS = "Array(Tuple(String, UInt64, DateTime64(3, 'UTC'), String))"
"""(licence, fingerprint, finished_at, action_id) of each action measured."""

Verdict = Literal["stopped", "continues", "too_early"]


@dataclass(frozen=True)
class Effect:
    licence_id: str
    action: RemoteActionDoc
    fingerprint: int
    article_url: str
    errors_before: int
    """The group's errors in the day before the action finished."""
    errors_after: int
    syncs_after: int

    @property
    def verdict(self) -> Verdict:
        if self.errors_after:
            return "continues"
        return "stopped" if self.syncs_after >= NEXT_SYNCS else "too_early"


class ActionEffects:
    def __init__(self, store: ControlStore) -> None:
        self._store = store

    async def succeeded(
        self, licence_id: str | None, limit: int = MAX_ACTIONS
    ) -> list[tuple[str, RemoteActionDoc]]:
        """The latest succeeded actions with the report line that suggested them: one licence's,
        or the fleet's."""
        parameters: dict[str, object] = {"limit": limit}
        narrower = ""
        if licence_id is not None:
            narrower = "AND licence_id = {licence_id:String}"
            parameters["licence_id"] = licence_id
        rows = await self._store.clickhouse.arows(
            f"""
            SELECT licence_id, body FROM control_entities
            WHERE entity = 'action' AND status = 'succeeded' {narrower}
                AND JSONExtractString(body, 'source_event_id') != ''
            ORDER BY updated_at DESC
            LIMIT 1 BY licence_id, entity_id
            LIMIT {{limit:UInt32}}
            """,
            parameters,
        )
        return [(row[0], RemoteActionDoc.model_validate_json(row[1])) for row in rows]

    async def of(self, actions: Sequence[tuple[str, RemoteActionDoc]]) -> list[Effect]:
        """The effect of each action whose suggesting line is still stored."""
        done = [(lic, a) for lic, a in actions if a.finished_at and a.source_event_id]
        if not done:
            return []
        licences = sorted({lic for lic, _ in done})
        links = {
            (row[0], uuid.UUID(row[1])): (int(row[2]), row[3])
            for row in await self._store.clickhouse.arows(
                """
                SELECT licence_id, toString(event_id), fingerprint, toString(remediation_url)
                FROM sync_events
                WHERE licence_id IN {licences:Array(String)} AND event_id IN {ids:Array(UUID)}
                """,
                {"licences": licences, "ids": [a.source_event_id for _, a in done]},
            )
        }
        linked = [
            (lic, a, *links[key])
            for lic, a in done
            if a.source_event_id and (key := (lic, a.source_event_id)) in links
        ]
        if not linked:
            return []
        acts = [(lic, fp, a.finished_at, a.action_id) for lic, a, fp, _ in linked]
        earliest = min(a.finished_at for _, a, _, _ in linked if a.finished_at) - AFTER
        parameters = {
            "acts": acts,
            "licences": licences,
            "fps": sorted({fp for _, _, fp, _ in linked}),
            "earliest": earliest,
            "after": int(AFTER.total_seconds()),
        }
        errors = {
            row[0]: (int(row[1]), int(row[2]))
            for row in await self._store.clickhouse.arows(
                """
                SELECT t.action_id,
                    countIf(e.occurred_at >= t.at - toIntervalSecond({after:UInt32})
                        AND e.occurred_at < t.at),
                    countIf(e.occurred_at > t.at
                        AND e.occurred_at <= t.at + toIntervalSecond({after:UInt32}))
                FROM (
                    SELECT a.1 AS licence_id, a.2 AS fingerprint, a.3 AS at, a.4 AS action_id
                    FROM (SELECT arrayJoin({acts:ACTS_TYPE}) AS a)
                ) AS t
                LEFT JOIN (
                    SELECT licence_id, fingerprint, occurred_at FROM sync_events
                    WHERE licence_id IN {licences:Array(String)} AND level = 'error'
                        AND fingerprint IN {fps:Array(UInt64)}
                        AND occurred_at >= {earliest:DateTime64(3, 'UTC')}
                ) AS e ON e.licence_id = t.licence_id AND e.fingerprint = t.fingerprint
                GROUP BY t.action_id
                """.replace("ACTS_TYPE", ACTS),
                parameters,
            )
        }
        runs = {
            row[0]: int(row[1])
            for row in await self._store.clickhouse.arows(
                """
                SELECT t.action_id,
                    countIf(r.started > t.at
                        AND r.started <= t.at + toIntervalSecond({after:UInt32}))
                FROM (
                    SELECT a.1 AS licence_id, a.3 AS at, a.4 AS action_id
                    FROM (SELECT arrayJoin({acts:ACTS_TYPE}) AS a)
                ) AS t
                LEFT JOIN (
                    SELECT licence_id, sync_id, min(occurred_at) AS started FROM sync_events
                    WHERE licence_id IN {licences:Array(String)} AND sync_id != ''
                        AND occurred_at >= {earliest:DateTime64(3, 'UTC')}
                    GROUP BY licence_id, sync_id
                ) AS r ON r.licence_id = t.licence_id
                GROUP BY t.action_id
                """.replace("ACTS_TYPE", ACTS),
                parameters,
            )
        }
        return [
            Effect(lic, a, fp, url, *errors.get(a.action_id, (0, 0)), runs.get(a.action_id, 0))
            for lic, a, fp, url in linked
        ]
