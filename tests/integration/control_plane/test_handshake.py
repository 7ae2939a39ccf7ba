"""The sync handshake's decisions, against the real control store in chdb: the first sync
binds the PC key, another PC is refused, pending actions go out once, stale ones expire."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from control_plane.actions import action_event
from control_plane.handshake import PcKeyMismatch, handshake
from control_plane.projection import ControlWriter
from control_plane.store import ControlStore
from infra.clickhouse import ClickHouse
from schemas.actions import ActionName
from schemas.control import RemoteActionDoc, SyncRequest

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


def _action(action_id: str, expires_at: datetime) -> RemoteActionDoc:
    return RemoteActionDoc(
        action_id=action_id,
        action=ActionName.CLEAR_CACHE,
        order_reference=None,
        source_event_id=None,
        status="pending",
        created_at=NOW - timedelta(hours=1),
        created_by="reader",
        expires_at=expires_at,
        dispatched_at=None,
        finished_at=None,
        output=None,
    )


async def test_the_handshake_binds_dispatches_expires_and_refuses_another_pc(
    clickhouse: ClickHouse,
) -> None:
    store, writer = ControlStore(clickhouse), ControlWriter(clickhouse)
    licence = f"handshake-{uuid.uuid4()}"
    fresh = _action("fresh", NOW + timedelta(days=1))
    stale = _action("stale", NOW - timedelta(minutes=1))
    await writer.write(
        [action_event(licence, "action.enqueued", "reader", doc) for doc in (fresh, stale)]
    )

    first = await handshake(store, licence, SyncRequest(pc_key="PC-KEY-ONE"), NOW)
    kinds = sorted(event.kind for event in first.events)
    assert kinds == ["action.dispatched", "action.expired", "agent.reported", "pc_key.bound"]
    assert [doc.action_id for doc in first.dispatched] == ["fresh"]
    await writer.write(first.events)

    again = await handshake(store, licence, SyncRequest(pc_key="PC-KEY-ONE"), NOW)
    assert again.events == [], "same PC, same agent, nothing pending: nothing to record"
    assert again.dispatched == []
    with pytest.raises(PcKeyMismatch):
        await handshake(store, licence, SyncRequest(pc_key="PC-KEY-TWO"), NOW)
