"""The alert desk's settings, resolved once by the root."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AlertingConfig:
    public_url: str
    """Where merchants open the web interface: the base of every link in a message."""
    interval_seconds: float = 10.0
    """How often the desk evaluates the rules on recent events and sends what is due: with the
    projection's delay, an alert leaves well within a minute of its event."""
    slow_interval_seconds: float = 300.0
    """How often the rules over days (connectors' rhythms, stuck orders, usual error rates,
    the digest) are evaluated: their conditions move in minutes or hours."""
    per_pass: int = 50
    """Deliveries tried in one pass at most, so a pass is bounded whatever the backlog."""
