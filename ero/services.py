"""What the HTTP handlers share in one process: built once, reached through `app.state`."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from fastapi import Request

from control_plane.bus import ControlBus
from control_plane.store import ControlStore
from ero.log_producer import LogProducer
from ero.settings import Settings
from ingest.event_log import KafkaEventLog
from licences import LicenceStore
from projections.clickhouse import ClickHouse


@dataclass(frozen=True)
class Services:
    settings: Settings
    clickhouse: ClickHouse
    licences: LicenceStore
    producer: LogProducer
    event_log: KafkaEventLog
    control: ControlBus
    operator_token: str


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


def read_only(settings: Settings, clickhouse: ClickHouse) -> Services:
    """What the query API needs, for a process that never ingests (benchmarks, query tests):
    its event log is never connected to, and no operator endpoint accepts a token."""
    producer = LogProducer("127.0.0.1:9", max_record_bytes=1024, timeout_seconds=1)
    return Services(
        settings=settings,
        clickhouse=clickhouse,
        licences=LicenceStore(clickhouse),
        producer=producer,
        event_log=KafkaEventLog(
            producer, raw_topic="unused", dead_letter_topic="unused", max_record_bytes=1024
        ),
        control=ControlBus(producer, "unused", ControlStore(clickhouse), visible_timeout=1),
        operator_token=secrets.token_urlsafe(32),
    )
