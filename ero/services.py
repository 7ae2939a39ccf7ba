"""What the HTTP handlers share in one process: built once, reached through `app.state`."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from fastapi import Request

from control_plane.bus import ControlBus
from control_plane.store import ControlStore
from ero.log_producer import LogProducer
from ero.settings import Settings
from ero.state import record_seal
from ero.topics import Topics
from ingest.event_log import EventLog, KafkaEventLog
from licences import LicenceStore
from projections.clickhouse import ClickHouse


@dataclass(frozen=True)
class Services:
    settings: Settings
    clickhouse: ClickHouse
    licences: LicenceStore
    producer: LogProducer
    event_log: EventLog
    control: ControlBus
    operator_token: str


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


def build_services(
    settings: Settings, clickhouse: ClickHouse, topics: Topics, operator_token: str
) -> Services:
    assert settings.kafka_bootstrap is not None
    producer = LogProducer(
        settings.kafka_bootstrap,
        max_record_bytes=settings.max_record_bytes,
        timeout_seconds=settings.broker_timeout_seconds,
    )
    return Services(
        settings=settings,
        clickhouse=clickhouse,
        licences=LicenceStore(clickhouse),
        producer=producer,
        event_log=KafkaEventLog(
            producer,
            raw_topic=topics.raw,
            dead_letter_topic=topics.dead_letter,
            max_record_bytes=settings.max_record_bytes,
            seal=record_seal(settings),
        ),
        control=ControlBus(
            producer,
            topics.control,
            ControlStore(clickhouse),
            visible_timeout=settings.control_visible_timeout_seconds,
        ),
        operator_token=operator_token,
    )


def read_only(settings: Settings, clickhouse: ClickHouse) -> Services:
    """What the query API needs, for a process that never ingests (benchmarks, query tests):
    its log producer points nowhere and is never connected to, and no operator token works."""
    nowhere = settings.model_copy(update={"kafka_bootstrap": "127.0.0.1:9"})
    return build_services(
        nowhere, clickhouse, Topics.from_settings(settings), secrets.token_urlsafe(32)
    )
