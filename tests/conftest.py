from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ero.settings import Settings
from infra.broker import detached_brokers, terminate
from infra.clickhouse import ClickHouse
from processors.evaluation import PRODUCT_CORPUS
from projections.migrations import migrate
from tests.support.pipeline import Pipeline
from tests.support.receivers import SmtpServer, WebhookReceiver


@pytest.fixture(scope="session")
def corpus_path() -> Path:
    """The product team's corpus, bundled with the classifier's."""
    return PRODUCT_CORPUS


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpServer]:
    with SmtpServer().running() as server:
        yield server


@pytest.fixture(scope="session")
def webhook_receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver().running() as receiver:
        yield receiver


@pytest.fixture(scope="session")
def pipeline(
    tmp_path_factory: pytest.TempPathFactory,
    smtp_server: SmtpServer,
    webhook_receiver: WebhookReceiver,
) -> Iterator[Pipeline]:
    """One embedded pipeline for the suite; small request limits so 413s are cheap to provoke;
    support tickets and account e-mails delivered to the local SMTP server, tickets to the
    webhook receiver too."""
    running = Pipeline(
        tmp_path_factory.mktemp("pipeline"),
        ERO_MAX_EVENTS_PER_REQUEST="2000",
        ERO_MAX_REQUEST_BYTES=str(1024 * 1024),
        ERO_SMTP_HOST=smtp_server.host,
        ERO_SMTP_PORT=str(smtp_server.port),
        ERO_SUPPORT_EMAIL="support@vendor.example",
        ERO_TICKET_WEBHOOK_URL=webhook_receiver.url,
        ERO_TICKET_DELIVERY_INTERVAL_SECONDS="0.5",
        ERO_ALERT_INTERVAL_SECONDS="2",
        ERO_ALERT_SLOW_INTERVAL_SECONDS="10",
        # Every test signs up and fails sign-ins from the loopback address: only the limits per
        # account and per e-mail are the ones a merchant would meet.
        ERO_SIGNIN_LIMIT_ADDRESS="100000/15 minutes",
        ERO_MAIL_LIMIT_ADDRESS="100000/hour",
        ERO_PASSWORD_CHECK_LIMIT_ADDRESS="100000/minute",
    )
    try:
        yield running.start()
        assert running.stop() == 0
    finally:
        running.ensure_stopped()


@pytest.fixture(scope="session", autouse=True)
def no_broker_outlives_the_suite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """`ero run`'s embedded broker outlives a crash of its process by design: whatever a test
    left behind in its data dirs is stopped at the end of the session, however the test ended."""
    yield
    base = str(tmp_path_factory.getbasetemp())
    for pid, data_dir in detached_brokers():
        if data_dir.startswith(base):
            terminate(pid)


@pytest.fixture(scope="session")
def clickhouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClickHouse]:
    """The test process's own chdb (one data path per process: every in-process test shares it),
    migrated like a real deployment."""
    engine = ClickHouse(f"chdb://{tmp_path_factory.mktemp('chdb')}")
    settings = Settings()
    migrate(engine, settings.retention_days, settings.rollup_retention_days)
    yield engine
    engine.close()
