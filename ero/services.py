"""What the HTTP handlers share in one process: built once, reached through `app.state`."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from control_plane.bus import ControlBus
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
