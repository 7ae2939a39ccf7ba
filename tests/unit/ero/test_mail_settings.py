"""ERO_SMTP_* pick where account e-mails go: the SMTP server as configured, else the outbox of
the data dir."""

from __future__ import annotations

from pathlib import Path

from ero.deployment import Deployment
from ero.settings import Settings
from infra.mail import SmtpConfig


def _deployment(**settings: object) -> Deployment:
    return Deployment.resolve(Settings.model_validate(settings), "127.0.0.1:9092")


def test_with_an_smtp_host_mail_goes_to_it_as_configured(tmp_path: Path) -> None:
    mail = _deployment(
        data_dir=tmp_path,
        smtp_host="mail.vendor.example",
        smtp_port=587,
        smtp_sender="ero@vendor.example",
        smtp_starttls=True,
        smtp_username="ero",
        smtp_password="s3cret",
        smtp_timeout_seconds=5,
    ).mail
    assert mail.smtp == SmtpConfig(
        host="mail.vendor.example",
        port=587,
        sender="ero@vendor.example",
        starttls=True,
        username="ero",
        password="s3cret",
        timeout=5.0,
    )
    assert mail.outbox_dir == tmp_path / "outbox"


def test_without_one_mail_goes_to_the_outbox_of_the_data_dir(tmp_path: Path) -> None:
    mail = _deployment(data_dir=tmp_path, smtp_host=None).mail
    assert mail.smtp is None
    assert mail.outbox_dir == tmp_path / "outbox"
