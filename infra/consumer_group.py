"""How a consumer of ours joins its group: the timing every consumer (Faust's, the batch
consumers, the archive's, a replay's) shares."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GroupTiming:
    session_timeout_seconds: float
    """Tansu holds a new group's first join for half of it; Kafka's minimum is 6 s."""

    @property
    def heartbeat_seconds(self) -> float:
        """A quarter of the session (at most 3 s, Kafka's default): three beats may be lost
        before the broker gives the partitions away."""
        return min(3.0, self.session_timeout_seconds / 4)

    def aiokafka_options(self) -> dict[str, int]:
        return {
            "session_timeout_ms": int(self.session_timeout_seconds * 1000),
            "heartbeat_interval_ms": int(self.heartbeat_seconds * 1000),
        }
