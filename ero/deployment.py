"""The settings once the broker is known, as the small frozen config each component takes.

Resolved once per process by the composition root (ero/runtime.py): no component reads
`Settings`, and none needs to ask whether a broker was configured.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property
from typing import Self

from accounts.config import AccountPolicy, SignInLimits
from alerts.config import AlertingConfig
from control_plane.delivery import SupportDelivery
from control_plane.fingerprint import KeyFingerprint
from control_plane.http.actions import ActionPolicy
from control_plane.http.common import COMMANDS, TICKETS
from control_plane.http.help import FEEDBACK
from ero.secrets import pc_key_fingerprint, record_seal
from ero.settings import Settings
from infra.consumer_group import GroupTiming
from infra.http_guards import BodyLimits
from infra.log_producer import LogProducer, ProducerConfig
from infra.mail import MailConfig, SmtpConfig
from infra.rate_limit import RateLimits
from infra.topics import Topics
from ingest.event_log import KafkaEventLog
from ingest.http import IngestLimits
from ingest.parsing import TimeBounds
from knowledge.links import KnowledgeLinks
from pipeline.replay import ReplayLog
from schemas.records import RecordSeal
from streaming.batch_consumer import BatchLimits
from streaming.dead_letter_limit import DeadLetterLimit
from streaming.recycle import RecyclePolicy

EMBEDDED_RECYCLE_BYTES = 256 << 20


@dataclass(frozen=True)
class Deployment:
    settings: Settings
    bootstrap: str
    """The broker every client of this process talks to (configured, or the embedded one)."""
    topics: Topics
    embedded_broker: bool = False
    """The broker is ours and memory-only: what it holds lives as long as its process, which
    a clean stop ends after the drain, and a crash of ours does not (infra/broker.py)."""
    broker_reattached: bool = False
    """The embedded broker was left running by a run that did not stop cleanly."""

    @classmethod
    def resolve(
        cls,
        settings: Settings,
        bootstrap: str,
        embedded_broker: bool = False,
        broker_reattached: bool = False,
    ) -> Self:
        topics = Topics.named(
            settings.topic_prefix, settings.topic_partitions, settings.topic_replication
        )
        return cls(settings, bootstrap, topics, embedded_broker, broker_reattached)

    @cached_property
    def producer(self) -> ProducerConfig:
        s = self.settings
        compression = None if s.broker_compression == "none" else s.broker_compression
        return ProducerConfig(
            self.bootstrap, s.max_record_bytes, s.broker_timeout_seconds, compression
        )

    @cached_property
    def group_timing(self) -> GroupTiming:
        return GroupTiming(self.settings.broker_session_timeout_seconds)

    @cached_property
    def batch_limits(self) -> BatchLimits:
        s = self.settings
        return BatchLimits(
            max_records=s.sink_max_records,
            max_bytes=s.sink_max_bytes,
            flush_seconds=s.sink_flush_seconds,
            linger_seconds=s.sink_linger_seconds,
        )

    @cached_property
    def recycling(self) -> RecyclePolicy | None:
        """When `ero run` recycles the high-volume topics (streaming/recycle.py); None: never."""
        s = self.settings
        after = s.broker_recycle_bytes
        if after is None:
            after = EMBEDDED_RECYCLE_BYTES if self.embedded_broker else 0
        return RecyclePolicy(after, s.broker_recycle_wait_seconds) if after else None

    @cached_property
    def dead_letter_limit(self) -> DeadLetterLimit:
        s = self.settings
        return DeadLetterLimit(s.dead_letter_max_consecutive, s.dead_letter_max_ratio, 10_000)

    @cached_property
    def seal(self) -> RecordSeal:
        return record_seal(self.settings)

    @cached_property
    def time_bounds(self) -> TimeBounds:
        return time_bounds(self.settings)

    @cached_property
    def ingest_limits(self) -> IngestLimits:
        s = self.settings
        return IngestLimits(s.max_events_per_request, self.time_bounds)

    @cached_property
    def support_delivery(self) -> SupportDelivery:
        s = self.settings
        return SupportDelivery(
            webhook_url=s.ticket_webhook_url,
            support_email=s.support_email,
            public_url=s.public_url or s.resolved_api_url,
            interval_seconds=s.ticket_delivery_interval_seconds,
        )

    @cached_property
    def alerting(self) -> AlertingConfig:
        s = self.settings
        return AlertingConfig(
            public_url=s.public_url or s.resolved_api_url,
            interval_seconds=s.alert_interval_seconds,
            slow_interval_seconds=s.alert_slow_interval_seconds,
        )

    @cached_property
    def mail(self) -> MailConfig:
        """Where account e-mails and tickets go: the SMTP server, or else the outbox of the
        data dir."""
        s = self.settings
        smtp = None
        if s.smtp_host:
            smtp = SmtpConfig(
                host=s.smtp_host,
                port=s.smtp_port,
                sender=s.smtp_sender,
                starttls=s.smtp_starttls,
                username=s.smtp_username,
                password=s.smtp_password,
                timeout=s.smtp_timeout_seconds,
            )
        return MailConfig(smtp, s.outbox_dir)

    @cached_property
    def body_limits(self) -> BodyLimits:
        s = self.settings
        # The event gateway takes batches of up to ERO_MAX_REQUEST_BYTES.
        return BodyLimits(s.max_body_bytes, {"/v1/events": s.max_request_bytes})

    @cached_property
    def rate_limits(self) -> RateLimits:
        s = self.settings
        per_key = {COMMANDS: s.rate_limit_commands, TICKETS: s.rate_limit_tickets}
        return RateLimits(per_key, s.rate_limit_licence)

    @cached_property
    def help_feedback_limits(self) -> RateLimits:
        """Anonymous answers to « Cet article a-t-il été utile ? », per client address."""
        return RateLimits({FEEDBACK: self.settings.help_feedback_limit_address}, "")

    @cached_property
    def pc_key_fingerprint(self) -> KeyFingerprint:
        return pc_key_fingerprint(self.settings)

    @cached_property
    def account_policy(self) -> AccountPolicy:
        s = self.settings
        return AccountPolicy(
            public_url=s.public_url or s.resolved_api_url,
            contact_url=s.vendor_contact_url,
            session_idle=timedelta(minutes=s.session_idle_minutes),
            session_absolute=timedelta(hours=s.session_absolute_hours),
        )

    @cached_property
    def sign_in_limits(self) -> SignInLimits:
        s = self.settings
        return SignInLimits(
            per_account=s.signin_limit_account,
            per_address=s.signin_limit_address,
            notify_after=s.signin_notify_after,
            mails_per_address=s.mail_limit_address,
            mails_per_email=s.mail_limit_email,
            checks_per_address=s.password_check_limit_address,
        )

    @cached_property
    def action_policy(self) -> ActionPolicy:
        return ActionPolicy(self.settings.action_ttl_seconds)

    @cached_property
    def replay_log(self) -> ReplayLog:
        return ReplayLog(
            self.bootstrap, self.topics, self.settings.topic_prefix, self.knowledge_links
        )

    @cached_property
    def knowledge_links(self) -> KnowledgeLinks:
        s = self.settings
        return KnowledgeLinks.resolve(s.public_url or s.resolved_api_url, s.kb_base_url)

    def event_log(self, producer: LogProducer) -> KafkaEventLog:
        """The gateway's appender (accepted events and dead letters), sealing what it writes."""
        return KafkaEventLog(
            producer,
            raw_topic=self.topics.raw,
            dead_letter_topic=self.topics.dead_letter,
            max_record_bytes=self.producer.max_record_bytes,
            seal=self.seal,
        )

    def group_id(self, name: str) -> str:
        return f"{self.settings.topic_prefix}-{name}"


def time_bounds(settings: Settings) -> TimeBounds:
    """How far from now an event's occurred_at may lie (a process without a broker needs it
    too: the dead-letter desk checks fixes with it)."""
    return TimeBounds(settings.retention_days, settings.max_future_skew_hours)
