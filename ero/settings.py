"""Every deployment knob, read once from `ERO_*` environment variables.

Embedded and distributed deployments run the same code; only these values differ.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from infra.configuration import ConfigurationError
from infra.rate_limit import parse_limits

__all__ = ["CLASSIFY_AND_PROJECT", "WORKER_ROLES", "ConfigurationError", "Settings"]

# One hop (the default): raw -> classified, stored in ClickHouse and published on the feed.
# Scaled out on one chdb path: every worker "classify" (raw -> feed), the process owning
# ClickHouse also "project" (feed -> ClickHouse).
CLASSIFY_AND_PROJECT = "classify-and-project"
WORKER_ROLES = frozenset({CLASSIFY_AND_PROJECT, "classify", "project"})


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ERO_", frozen=True)

    data_dir: Path = Field(
        Path("var"), description="Where embedded state lives (chdb data, tokens)."
    )
    kafka_bootstrap: str | None = Field(
        None, description="host:port[,host:port]; unset starts the embedded broker (ero run only)."
    )
    clickhouse_dsn: str | None = Field(
        None, description="chdb:///path (embedded) or http(s)://user:pass@host:8123/db (server)."
    )
    clickhouse_cluster: str | None = Field(
        None,
        pattern=r"^\w+$",
        description="A ClickHouse cluster name (remote_servers): tables are created ON CLUSTER, "
        "replicated, with Distributed tables in front.",
    )
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    api_url: str | None = Field(None, description="Where the CLI reaches the API.")
    operator_token: str | None = Field(
        None, description="Vendor-operator bearer token; unset: generated into DATA_DIR."
    )
    record_key: str | None = Field(
        None,
        min_length=16,
        description="Secret shared by gateways and workers: raw records sealed with it are "
        "not validated twice. Unset: generated into DATA_DIR (processes sharing no data dir "
        "then validate each other's records in full: correct, slower).",
    )

    topic_prefix: str = "ero"
    topic_partitions: int = 4
    topic_replication: int = 1

    # Tansu holds a new group's first join for half the session timeout; Kafka's minimum is 6 s.
    broker_session_timeout_seconds: float = 10.0

    # The embedded broker is memory-only: its high-volume topics are recycled once stored.
    broker_recycle_bytes: int | None = Field(
        None,
        ge=0,
        description="Once this many bytes were appended to the raw topic and the feed, and "
        "everything they hold is stored in ClickHouse, `ero run` deletes and recreates them to "
        "free a memory-only broker. Unset: 256 MiB with the embedded broker, off with a "
        "configured one (Kafka's retention does it); 0: off.",
    )
    broker_recycle_wait_seconds: float = Field(
        10.0,
        gt=0,
        description="How long a recycle waits for the stages to store what the topics hold "
        "(appends wait at most this long); then it tries again later.",
    )

    max_events_per_request: int = 10_000
    max_request_bytes: int = Field(
        10 * 1024 * 1024, gt=0, description="What a POST /v1/events body may weigh."
    )
    max_body_bytes: int = Field(
        2 * 1024 * 1024,
        gt=0,
        description="What any other request body may weigh (a connector's action output, up "
        "to 1 000 000 characters, is the largest); larger: 413.",
    )
    # Kafka's default max.message.bytes is ~1 MB; records stay well under it.
    max_record_bytes: int = 512 * 1024
    broker_timeout_seconds: float = 10.0
    broker_compression: Literal["none", "gzip", "snappy", "lz4", "zstd"] = Field(
        "zstd",
        description="How our producers compress record batches: zstd cuts what the broker "
        "stores and copies by ~5x for half its CPU per event (docs/performance.md).",
    )

    # One batch of the hot stage = one ClickHouse insert: bounded by records, bytes and time.
    sink_max_records: int = 20_000
    sink_max_bytes: int = 16 * 1024 * 1024
    sink_flush_seconds: float = 1.0
    sink_linger_seconds: float = 0.25
    drain_timeout_seconds: float = Field(
        60.0,
        gt=0,
        description="`ero run` on the embedded broker: how long a stop waits for what the log "
        "holds to be projected; past it the process says what was left and exits 3.",
    )
    stop_timeout_seconds: float = Field(
        30.0,
        gt=0,
        description="How long the agents and clients may take to stop (after the drain, if "
        "any); past it the process exits 3 with a line saying what was not drained.",
    )
    # A stage that would dead-letter everything stops instead (a bad deploy, a wrong producer).
    dead_letter_max_consecutive: int = Field(
        1000, ge=0, description="Unreadable raw records in a row that stop a worker (0: off)."
    )
    dead_letter_max_ratio: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Share of unreadable raw records among 10 000 that stops a worker (0: off).",
    )
    retention_days: int = Field(90, description="Raw events are dropped after this many days.")
    rollup_retention_days: int = Field(
        730,
        description="Per-minute rollups (dashboard, trends) outlive raw events: kept this long.",
    )
    max_future_skew_hours: int = 24

    # Control plane.
    action_ttl_seconds: int = Field(
        7 * 86_400, ge=1, description="A remote action not fetched by a sync within this expires."
    )
    control_visible_timeout_seconds: float = Field(
        5.0, description="How long a command's answer waits for the projection to apply it."
    )
    smtp_host: str | None = Field(
        None,
        description="The SMTP server of account e-mails (password links, alerts) and support "
        "tickets. Unset: both are written to DATA_DIR/outbox (`ero mail list`).",
    )
    smtp_port: int = 25
    smtp_sender: str = "ero@localhost"
    smtp_starttls: bool = Field(
        False, description="E-mails: upgrade the connection with STARTTLS (port 587)."
    )
    smtp_username: str | None = Field(
        None, description="E-mails: log in to the SMTP server as this user."
    )
    smtp_password: str | None = Field(None, description="The password of ERO_SMTP_USERNAME.")
    smtp_timeout_seconds: float = Field(
        10.0,
        gt=0,
        description="E-mails: how long the connection and each SMTP command may take "
        "(a message is tried 3 times when the server is unreachable or answers 4xx).",
    )
    support_email: str | None = Field(
        None,
        description="The vendor's support mailbox: each ticket is e-mailed there too (every "
        "ticket lands in the console's support inbox anyway).",
    )
    ticket_webhook_url: str | None = Field(None, description="Support tickets are POSTed here.")
    ticket_delivery_interval_seconds: float = Field(
        5.0,
        gt=0,
        description="How often the worker tries the ticket deliveries due (webhook, e-mail): "
        "a failed one is retried with a backoff from 5 s to 15 min, until delivered.",
    )
    alert_interval_seconds: float = Field(
        10.0,
        gt=0,
        description="How often the worker evaluates the alert rules on recent events and sends "
        "the alerts due: an alert leaves within this plus the projection's delay.",
    )
    alert_slow_interval_seconds: float = Field(
        300.0,
        gt=0,
        description="How often the rules over days are evaluated (connectors' rhythms, stuck "
        "orders, usual error rates, the morning digest).",
    )
    # Writes a reader or a connector can repeat, in the `limits` notation ("N/second|minute|
    # hour|day", several joined by ";"); empty: no limit. Past one: 429 with Retry-After.
    rate_limit_commands: str = Field(
        "60/minute",
        description="Control commands (configurations, actions, PC key, sync...) per key.",
    )
    rate_limit_tickets: str = Field("5/minute;50/day", description="Support tickets per key.")
    rate_limit_licence: str = Field(
        "120/minute", description="Every limited write of one licence, all its keys together."
    )

    # Accounts (accounts/): sessions, sign-in throttling, the links e-mails carry.
    forwarded_allow_ips: str = Field(
        "127.0.0.1",
        description="Proxies whose X-Forwarded-For names the client (comma-separated IPs or "
        "networks, * for any): sign-ins are throttled per client address. Behind a load "
        "balancer, its address; else every client would share the proxy's limits.",
    )
    public_url: str | None = Field(
        None,
        description="Where merchants open the web interface (the base of e-mailed links); "
        "unset: the API's own URL.",
    )
    kb_base_url: str | None = Field(
        None,
        pattern=r"^https?://",
        description="The vendor's own knowledge base: remediations link to <this>/<slug>. "
        "Unset: to ERO's articles, <ERO_PUBLIC_URL>/aide/<slug>.",
    )
    vendor_contact_url: str = Field(
        "https://www.vaisonet.com/contact",
        description="The vendor's contact page, shown to a person who holds no licence.",
    )
    session_idle_minutes: float = Field(
        60, gt=0, description="A session unused for this long ends."
    )
    session_absolute_hours: float = Field(
        12, gt=0, description="A session ends this long after sign-in, however used."
    )
    signin_limit_account: str = Field(
        "10/15 minutes",
        description="Failed sign-ins per account from addresses that never signed in to it.",
    )
    signin_limit_address: str = Field(
        "50/15 minutes", description="Failed sign-ins per client address, all accounts."
    )
    signin_notify_after: int = Field(
        5, ge=1, description="Failed sign-ins after which the account's owner is e-mailed."
    )
    mail_limit_address: str = Field(
        "30/hour", description="Sign-up and reset e-mails one client address may trigger."
    )
    password_check_limit_address: str = Field(
        "120/minute", description="Password checks (as a merchant types) per client address."
    )
    help_feedback_limit_address: str = Field(
        "10/minute;200/day",
        description="Answers to « Cet article a-t-il été utile ? » per client address.",
    )
    mail_limit_email: str = Field(
        "5/hour", description="Sign-up and reset e-mails sent to one address."
    )

    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = Field(
        None,
        description="`ero worker` serves /metrics on this port (the API serves its own /metrics).",
    )
    # Scale-out: only the process owning a chdb path may write ClickHouse, so extra workers
    # classify only ("classify"); "project" writes the feed into ClickHouse (see WORKER_ROLES).
    worker_roles: str = Field(
        CLASSIFY_AND_PROJECT,
        description="What a worker runs: classify-and-project (one hop), or classify and/or "
        "project (two hops, to scale classification out).",
    )

    log_level: str = "INFO"

    @field_validator("worker_roles")
    @classmethod
    def _known_roles(cls, value: str) -> str:
        roles = {role.strip() for role in value.split(",") if role.strip()}
        if not roles or roles - WORKER_ROLES:
            raise ValueError(
                f"use one or more of {', '.join(sorted(WORKER_ROLES))}, comma-separated"
            )
        if CLASSIFY_AND_PROJECT in roles and len(roles) > 1:
            raise ValueError(
                f"{CLASSIFY_AND_PROJECT} already classifies and projects: use it alone"
            )
        return ",".join(sorted(roles))

    @field_validator(
        "rate_limit_commands",
        "rate_limit_tickets",
        "rate_limit_licence",
        "signin_limit_account",
        "signin_limit_address",
        "mail_limit_address",
        "mail_limit_email",
        "password_check_limit_address",
        "help_feedback_limit_address",
    )
    @classmethod
    def _rate_limits(cls, value: str) -> str:
        parse_limits(value)  # ValueError: the CLI names the variable
        return value

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(self.worker_roles.split(","))

    @property
    def writes_clickhouse(self) -> bool:
        """Whether this process's worker stores events (and so owns ClickHouse)."""
        return bool(self.roles & {CLASSIFY_AND_PROJECT, "project"})

    @property
    def archives_raw_apart(self) -> bool:
        """Whether this process archives the raw topic with a consumer group of its own: the
        `project` process of a scaled-out deployment, since classify-only workers have no
        ClickHouse. A classify-and-project worker archives what it classifies."""
        return "project" in self.roles

    @cached_property
    def resolved_clickhouse_dsn(self) -> str:
        if self.clickhouse_dsn:
            return self.clickhouse_dsn
        return f"chdb://{(self.data_dir / 'clickhouse').resolve()}"

    @cached_property
    def resolved_api_url(self) -> str:
        return self.api_url or f"http://{self.api_host}:{self.api_port}"

    @property
    def runtime_file(self) -> Path:
        """Written by a running pipeline: where its API and broker listen."""
        return self.data_dir / "runtime.json"

    @property
    def broker_state_file(self) -> Path:
        """Written while the embedded broker runs: its pid and port (infra/broker.py)."""
        return self.data_dir / "broker.json"

    @property
    def operator_token_file(self) -> Path:
        return self.data_dir / "operator.token"

    @property
    def record_key_file(self) -> Path:
        return self.data_dir / "record.key"

    @property
    def demo_licence_file(self) -> Path:
        return self.data_dir / "demo-licence.json"

    @property
    def outbox_dir(self) -> Path:
        """Where account e-mails are written when no SMTP server is set (`ero mail list`)."""
        return self.data_dir / "outbox"
