"""The stream-processing side: a Faust app hosting the hot stages (batch consumers), the rules
table and the low-volume agents (control plane, dead letters), by the process's roles:

- classify-and-project (the default, one hop): raw -> classified, stored in ClickHouse and
  published on the classified topic (the feed);
- classify: raw -> feed only (no ClickHouse: extra workers that scale classification out);
- project: feed -> ClickHouse (the process owning ClickHouse when others classify).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import faust
from aiokafka.partitioner import DefaultPartitioner

from alerts.conditions import Conditions
from alerts.desk import AlertDesk
from alerts.senders import Senders
from alerts.store import AlertStore
from control_plane.bus import ControlBus
from control_plane.delivery import DeliveryDesk, register_pass
from control_plane.projection import (
    ControlProjection,
    ControlWriter,
    register_control_projection,
)
from control_plane.store import ControlStore
from control_plane.ticket_numbers import TICKET_KEY
from control_plane.tickets import TicketStore
from dead_letters.agent import register_dead_letter_projection
from dead_letters.store import DeadLetterStore
from ero.deployment import Deployment
from ero.prometheus import FaustConsumerOffsets, watch_consumer, watch_dead_letters
from ero.prometheus import install as install_metrics
from ero.settings import CLASSIFY_AND_PROJECT
from infra.append_gate import AppendGate
from infra.clickhouse import ClickHouse
from infra.log_producer import LogProducer
from infra.mail import mailer
from infra.metrics import metrics
from pipeline.classify_and_store import ClassifyAndStore
from pipeline.project_feed import ProjectFeed
from processors.catalog import load_catalog
from processors.catalog_store import CatalogStore
from processors.live_rules import LiveRules, initial_catalog, register_rules, rules_table
from projections.archive import ArchiveWriter
from projections.write_gate import PROJECTION_GATE, GatedSyncEventsWriter
from streaming.batch_consumer import BatchConsumer, Step
from streaming.dead_letter_limit import DeadLetterGuard
from streaming.drain import Progress
from streaming.recycle import TopicReader


def faust_app(deployment: Deployment) -> Any:
    """The Faust app of this process: memory stores, loopback only, our group timing."""
    settings = deployment.settings
    return faust.App(
        f"{settings.topic_prefix}-pipeline",
        broker=[f"kafka://{host}" for host in deployment.bootstrap.split(",")],
        store="memory://",
        # Faust's own files (none with memory stores, but it makes the folder) stay with ours,
        # not in the directory the process was started from.
        datadir=str(settings.data_dir / "faust"),
        autodiscover=False,
        web_enabled=False,  # no 0.0.0.0:6066 listener: servers here bind loopback only
        producer_acks=-1,
        topic_partitions=deployment.topics.partitions,
        topic_replication_factor=deployment.topics.replication,
        consumer_auto_offset_reset="earliest",
        broker_commit_interval=1.0,
        broker_session_timeout=deployment.group_timing.session_timeout_seconds,
        broker_heartbeat_interval=deployment.group_timing.heartbeat_seconds,
    )


@dataclass(frozen=True)
class _Sinks:
    """What a worker owning ClickHouse writes to; a classify-only worker has none."""

    writer: GatedSyncEventsWriter
    archive: ArchiveWriter | None
    """None where a `project` process archives the raw topic in a group of its own."""


class WorkerWiring:
    """Builds the stages and agents of one worker onto its Faust app."""

    def __init__(
        self,
        deployment: Deployment,
        clickhouse: ClickHouse | None,
        progress: Progress | None,
        gate: AppendGate | None,
    ) -> None:
        self._deployment = deployment
        self._clickhouse = clickhouse
        self._progress = progress
        self._gate = gate
        self.app = faust_app(deployment)
        self.readers: list[TopicReader] = []

    def _topic(self, name: str) -> Any:
        return self.app.topic(name, key_serializer="raw", value_serializer="raw")

    def _on_done(self, faust_event: Any) -> None:
        if self._progress is not None:
            self._progress.mark(faust_event)

    def _live_rules(self) -> LiveRules:
        if self._clickhouse is None:  # classify-only: the bundled catalog, then the topic's
            links = self._deployment.knowledge_links
            return LiveRules(load_catalog(), rules_table(self.app), links)
        store = CatalogStore(self._clickhouse)
        topic = self._topic(self._deployment.topics.rules)
        rules = register_rules(self.app, topic, store, on_done=self._on_done)
        return LiveRules(
            initial_catalog(store, load_catalog()), rules, self._deployment.knowledge_links
        )

    def _sinks(self, clickhouse: ClickHouse) -> _Sinks:
        """The low-volume agents that project into ClickHouse, and the hot stages' sinks."""
        topics = self._deployment.topics
        projection = ControlProjection(
            ControlWriter(clickhouse),
            LogProducer(self._deployment.producer),
            topics.dead_letter,
            DeadLetterGuard("control", self._deployment.dead_letter_limit),
        )
        register_control_projection(
            self.app, self._topic(topics.control), projection, self._on_done
        )
        self._delivery_desk(clickhouse)
        letters = DeadLetterStore(clickhouse)
        register_dead_letter_projection(
            self.app, self._topic(topics.dead_letter), letters, self._on_done
        )
        watch_dead_letters(letters)
        # Each hot sink on a client of its own: their inserts and lookups run side by side.
        archive = (
            None
            if self._deployment.settings.archives_raw_apart
            else ArchiveWriter(clickhouse.separate())
        )
        writer = GatedSyncEventsWriter(clickhouse, PROJECTION_GATE, clickhouse.separate())
        return _Sinks(writer, archive)

    def _delivery_desk(self, clickhouse: ClickHouse) -> None:
        deployment = self._deployment
        support = deployment.support_delivery
        bus = ControlBus(
            LogProducer(deployment.producer),
            deployment.topics.control,
            ControlStore(clickhouse),
            deployment.settings.control_visible_timeout_seconds,
        )
        desk = DeliveryDesk(
            bus,
            TicketStore(clickhouse),
            support.channels(mailer(deployment.mail)),
            support.per_pass,
        )
        runs_here = lambda: consumes_tickets(self.app, deployment.topics.control)  # noqa: E731
        register_pass(
            self.app, "deliver-tickets", support.interval_seconds, runs_here, desk.run_pass
        )
        alerting = deployment.alerting
        alert_desk = AlertDesk(
            bus,
            AlertStore(bus.store),
            Conditions(clickhouse),
            Senders(mailer(deployment.mail), alerting.public_url),
            alerting,
        )
        register_pass(
            self.app, "alert-desk", alerting.interval_seconds, runs_here, alert_desk.run_pass,
            alert_desk.forget,
        )  # fmt: skip

    def _stage(self, name: str, source: str, step: Step[Any]) -> None:
        deployment, progress = self._deployment, self._progress
        consumer: BatchConsumer[Any] = BatchConsumer(
            name=name,
            bootstrap=deployment.bootstrap,
            group_id=deployment.group_id(name),
            topic=source,
            step=step,
            limits=deployment.batch_limits,
            timing=deployment.group_timing,
            on_done=progress.mark_offset if progress is not None else (lambda *_: None),
            on_batch=_batch_counter(source, progress),
        )
        watch_consumer(consumer)
        if source in self._deployment.topics.recycled:
            self.readers.append(consumer)
        # A service of the app: started once the rules table is recovered, so the first
        # events are classified with the newest rules.
        self.app.service(consumer)

    def build(self) -> WorkerApp:
        roles = self._deployment.settings.roles
        topics = self._deployment.topics
        live_rules = self._live_rules()
        sinks = self._sinks(self._clickhouse) if self._clickhouse is not None else None
        if roles & {CLASSIFY_AND_PROJECT, "classify"}:
            # One group for every process reading raw, whatever its role: they share its
            # partitions.
            one_hop = sinks is not None and CLASSIFY_AND_PROJECT in roles
            step = ClassifyAndStore(
                classifier=live_rules.classifier,
                writer=sinks.writer if sinks is not None and one_hop else None,
                archive=sinks.archive if sinks is not None else None,
                producer=LogProducer(self._deployment.producer, self._gate),
                seal=self._deployment.seal,
                classified_topic=topics.classified,
                dead_letter_topic=topics.dead_letter,
                max_record_bytes=self._deployment.producer.max_record_bytes,
                guard=DeadLetterGuard("classify", self._deployment.dead_letter_limit),
            )
            self._stage("classify", topics.raw, step)
        if "project" in roles:
            assert sinks is not None, "the project role writes ClickHouse"
            self._stage("project", topics.classified, ProjectFeed(sinks.writer))
        watch_consumer(FaustConsumerOffsets(self.app))
        return WorkerApp(self.app, tuple(self.readers))


def consumes_tickets(app: Any, control_topic: str) -> bool:
    """Whether this worker consumes the control topic's partition holding every ticket event
    (the tickets' numbering's one writer, control_plane/ticket_numbers.py): its delivery desk
    is then the fleet's one. Not the group's leader: that may be a worker without ClickHouse."""
    count = app.consumer.topic_partitions(control_topic)
    if not count:
        return False
    everyone = list(range(count))
    partition = DefaultPartitioner()(TICKET_KEY, everyone, everyone)
    return any(
        tp.topic == control_topic and tp.partition == partition for tp in app.consumer.assignment()
    )


@dataclass(frozen=True)
class WorkerApp:
    app: Any
    """The Faust app."""
    readers: tuple[TopicReader, ...]
    """Its stages reading the recycled topics (streaming/recycle.py)."""


def create_worker_app(
    deployment: Deployment,
    clickhouse: ClickHouse | None,
    progress: Progress | None = None,
    gate: AppendGate | None = None,
) -> WorkerApp:
    """The stages of this process's roles; `clickhouse` is given when they write it
    (Settings.writes_clickhouse); `gate`: where the feed's appends wait while it is recycled."""
    install_metrics()
    return WorkerWiring(deployment, clickhouse, progress, gate).build()


def drained_topics(deployment: Deployment) -> tuple[str, ...]:
    """What this process's stages consume, in pipeline order: what a drain waits for."""
    topics = deployment.topics
    stages = [topics.raw]
    if "project" in deployment.settings.roles:
        stages.append(topics.classified)
    return (*stages, topics.control, topics.rules, topics.dead_letter)


def _batch_counter(topic: str, progress: Progress | None) -> Callable[[int], None]:
    def batch_started(records: int) -> None:
        metrics().distribution("batch_records", records, {"topic": topic})
        if progress is not None:
            progress.batch_started(records)

    return batch_started
