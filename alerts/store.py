"""Reading alerting's entities back from ClickHouse: what each licence set (channels, rules,
settings), the alerts and deliveries the desk wrote. Every query names its licences."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from control_plane.store import COLUMNS, ControlStore, Revision, revision_of
from schemas.alerts import (
    AlertDeliveryDoc,
    AlertDoc,
    ChannelDoc,
    RuleDoc,
    RuleKind,
    SettingsDoc,
)
from schemas.control import Entity
from schemas.group_state import GroupStateDoc

MAX_PAGE = 100


def default_rule(kind: RuleKind) -> RuleDoc:
    """A rule nobody changed: on, to every channel, with its defaults. A new group's alert
    and the digest are notices; they do not repeat."""
    return RuleDoc(kind=kind)


@dataclass(frozen=True)
class LicenceAlerting:
    """What one licence set: alerts are evaluated for a licence with a channel only."""

    licence_id: str
    channels: tuple[ChannelDoc, ...]
    rules: dict[RuleKind, RuleDoc] = field(default_factory=dict)
    settings: SettingsDoc = field(default_factory=SettingsDoc)

    def rule(self, kind: RuleKind) -> RuleDoc:
        return self.rules.get(kind) or default_rule(kind)

    def targets(self, kind: RuleKind) -> list[ChannelDoc]:
        rule = self.rule(kind)
        if not rule.enabled:
            return []
        chosen = [
            c for c in self.channels if rule.channels is None or c.channel_id in rule.channels
        ]
        if kind == "digest":
            return [c for c in chosen if c.kind == "email"]
        return chosen


def _latest(where: str) -> str:
    return f"""
    SELECT licence_id, entity, {COLUMNS} FROM control_entities FINAL
    WHERE {where}
    ORDER BY licence_id, entity, entity_id, revision DESC
    LIMIT 1 BY licence_id, entity, entity_id
    """


class AlertStore:
    def __init__(self, store: ControlStore) -> None:
        self.store = store

    async def _latest(
        self, where: str, parameters: dict[str, Any]
    ) -> list[tuple[str, str, Revision]]:
        rows = await self.store.clickhouse.arows(_latest(where), parameters)
        return [(row[0], row[1], revision_of(row[2:])) for row in rows]

    async def configured(self) -> dict[str, LicenceAlerting]:
        """Every licence with a channel, with its rules and settings."""
        found = await self._latest(
            "entity IN ('alert_channel', 'alert_rule', 'alert_settings')", {}
        )
        channels: dict[str, list[ChannelDoc]] = {}
        rules: dict[str, dict[RuleKind, RuleDoc]] = {}
        settings: dict[str, SettingsDoc] = {}
        for licence_id, entity, row in found:
            if row.deleted:
                continue
            if entity == Entity.ALERT_CHANNEL:
                channels.setdefault(licence_id, []).append(row.doc(ChannelDoc))
            elif entity == Entity.ALERT_RULE:
                rule = row.doc(RuleDoc)
                rules.setdefault(licence_id, {})[rule.kind] = rule
            else:
                settings[licence_id] = row.doc(SettingsDoc)
        return {
            licence_id: LicenceAlerting(
                licence_id,
                tuple(sorted(found_channels, key=lambda c: c.created_at)),
                rules.get(licence_id, {}),
                settings.get(licence_id, SettingsDoc()),
            )
            for licence_id, found_channels in channels.items()
        }

    async def licence(self, licence_id: str) -> LicenceAlerting:
        """One licence's channels, rules and settings (for the API)."""
        found = await self._latest(
            "licence_id = {licence_id:String} "
            "AND entity IN ('alert_channel', 'alert_rule', 'alert_settings')",
            {"licence_id": licence_id},
        )
        channels = [
            r.doc(ChannelDoc) for _, e, r in found if e == Entity.ALERT_CHANNEL and not r.deleted
        ]
        rules = {(rule := r.doc(RuleDoc)).kind: rule for _, e, r in found if e == Entity.ALERT_RULE}
        settings = [r.doc(SettingsDoc) for _, e, r in found if e == Entity.ALERT_SETTINGS]
        return LicenceAlerting(
            licence_id,
            tuple(sorted(channels, key=lambda c: c.created_at)),
            rules,
            settings[0] if settings else SettingsDoc(),
        )

    async def open_state(
        self, licences: Sequence[str]
    ) -> tuple[list[tuple[str, Revision]], list[tuple[str, Revision]], set[tuple[str, str]]]:
        """What a desk starting on `licences` needs: the firing alerts, the deliveries not yet
        delivered, and the id of every alert ever decided."""
        if not licences:
            return [], [], set()
        found = await self._latest(
            "licence_id IN {licences:Array(String)} AND entity IN ('alert', 'alert_delivery')",
            {"licences": list(licences)},
        )
        firing = [(lic, r) for lic, e, r in found if e == Entity.ALERT and r.status == "firing"]
        outstanding = [
            (lic, r)
            for lic, e, r in found
            if e == Entity.ALERT_DELIVERY and r.status != "delivered"
        ]
        known = {(lic, r.entity_id) for lic, e, r in found if e == Entity.ALERT}
        return firing, outstanding, known

    async def resolved_groups(self, licences: Sequence[str]) -> dict[tuple[str, int], datetime]:
        """(licence, fingerprint) → when a member resolved it, for the groups resolved now."""
        found = await self._latest(
            "licence_id IN {licences:Array(String)} AND entity = 'error_group'",
            {"licences": list(licences)},
        )
        return {
            (licence_id, int(row.entity_id)): row.doc(GroupStateDoc).since
            for licence_id, _, row in found
            if row.status == "resolved" and not row.deleted
        }

    async def delivered_since(
        self, licences: Sequence[str], since: datetime
    ) -> list[tuple[str, AlertDeliveryDoc]]:
        """Deliveries delivered after `since` (each channel's count in the last hour)."""
        if not licences:
            return []
        found = await self._latest(
            "licence_id IN {licences:Array(String)} AND entity = 'alert_delivery' "
            "AND status = 'delivered' AND updated_at >= {since:DateTime64(3, 'UTC')}",
            {"licences": list(licences), "since": since},
        )
        return [(lic, r.doc(AlertDeliveryDoc)) for lic, _, r in found]

    async def _page(
        self, entity: str, narrower: str, order: str, parameters: dict[str, Any]
    ) -> list[tuple[Any, ...]]:
        """The bodies of one licence's `entity` at their latest revision, narrowed (on `status`,
        `body` or `fired_at`), ordered and limited by `parameters["limit"]`."""
        return await self.store.clickhouse.arows(
            f"""
            SELECT body FROM (
                SELECT entity_id, status, body,
                    parseDateTime64BestEffortOrZero(JSONExtractString(body, 'fired_at'), 3, 'UTC')
                        AS fired_at
                FROM control_entities FINAL
                WHERE licence_id = {{licence_id:String}} AND entity = {{entity:String}}
                ORDER BY entity_id, revision DESC
                LIMIT 1 BY entity_id
            )
            WHERE 1 {narrower}
            ORDER BY {order}
            LIMIT {{limit:UInt32}}
            """,
            {**parameters, "entity": entity},
        )

    async def alerts(
        self, licence_id: str, state: str | None, limit: int, before: tuple[datetime, str] | None
    ) -> list[AlertDoc]:
        """A page of alerts, newest fired first (`before`: the last of the previous page)."""
        parameters: dict[str, Any] = {"licence_id": licence_id, "limit": limit}
        narrower = ""
        if state is not None:
            narrower += " AND status = {state:String}"
            parameters["state"] = state
        if before is not None:
            narrower += (
                " AND (fired_at, entity_id) < ({fired:DateTime64(3, 'UTC')}, {alert_id:String})"
            )
            parameters["fired"], parameters["alert_id"] = before
        rows = await self._page("alert", narrower, "fired_at DESC, entity_id DESC", parameters)
        return [AlertDoc.model_validate_json(row[0]) for row in rows]

    async def deliveries(
        self,
        licence_id: str,
        *,
        channel_id: str | None = None,
        alert_ids: Sequence[str] | None = None,
        limit: int = MAX_PAGE,
    ) -> list[AlertDeliveryDoc]:
        """The latest deliveries of a channel, or those carrying one of `alert_ids`."""
        parameters: dict[str, Any] = {"licence_id": licence_id, "limit": limit}
        narrower = ""
        if channel_id is not None:
            narrower += " AND JSONExtractString(body, 'channel_id') = {channel_id:String}"
            parameters["channel_id"] = channel_id
        if alert_ids is not None:
            narrower += (
                " AND hasAny(arrayMap(i -> JSONExtractString(i, 'alert', 'alert_id'), "
                "JSONExtractArrayRaw(body, 'items')), {ids:Array(String)})"
            )
            parameters["ids"] = list(alert_ids)
        rows = await self._page(
            "alert_delivery", narrower, "JSONExtractString(body, 'created_at') DESC", parameters
        )
        return [AlertDeliveryDoc.model_validate_json(row[0]) for row in rows]
