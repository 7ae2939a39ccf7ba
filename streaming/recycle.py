"""Recycling the high-volume topics of a memory-only broker, so that its memory stays bounded.

The embedded broker (Tansu, memory-only) keeps every record until its topic is deleted: it
ignores retention and cannot delete records (docs/decisions/0008-embedded-broker-durability.md).
So, once enough bytes went through the raw topic and the feed (`RecyclePolicy.after_bytes`), and
only once every record they hold has been stored in ClickHouse (the hot stage commits a batch
after its events, its archive rows and its feed records are stored and acked), they are
deleted and created again, empty:

1. without holding anyone, wait until every group reading them has committed up to their
   current ends (if they do not in time, e.g. ClickHouse is down, try again later);
2. close the append gate of each topic in pipeline order (raw, then the feed the hot stage
   still publishes to while it catches up with raw) and wait until its readers have committed
   up to its end: appends wait at the gate meanwhile, they do not fail;
3. pause the readers, delete and recreate the topics, move each reader to offset 0 of the new
   topics and commit it there (Tansu and Kafka drop a deleted topic's committed offsets, but a
   consumer's position survives the recreation: it would skip the new records below it), check
   that no group kept an offset on them, and open the gate.

Every reader of these topics must be in this process (the `ero run` hosting every stage): a
group with members that are not ours (a helper worker on the same broker) holds recycling off,
since their positions cannot be moved. Off where the broker applies retention (Kafka).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import mode
import structlog
from aiokafka.admin import NewTopic
from aiokafka.errors import KafkaError

from infra.append_gate import AppendGate
from infra.topics import committed_offsets, consumer_groups, end_offsets, recreate_topics

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class RecyclePolicy:
    after_bytes: int
    """Bytes appended to the recycled topics (through this process) that trigger a recycle."""
    catch_up_seconds: float
    """How long a recycle waits for the readers to store what the topics hold, at each step;
    appends wait at most this long at the gate."""
    retry_seconds: float = 30.0
    """After a recycle that could not proceed: when to try again."""


class TopicReader(Protocol):
    """A consumer of this process reading one recycled topic, as one member of its group."""

    @property
    def topic(self) -> str: ...

    @property
    def group_id(self) -> str: ...

    def member_id(self) -> str | None:
        """Its member id in the group (None before it joined)."""

    def committed(self) -> dict[int, int]:
        """partition -> the offset it committed, for the partitions it owns and has read."""

    async def pause(self) -> None:
        """Stop fetching; returns once every batch in hand is stored and committed."""

    async def resume(self, from_beginning: bool) -> None:
        """Fetch again; `from_beginning`: the topic was recreated, start each of its partitions
        at offset 0 and commit that."""


class TopicRecycler(mode.Service):
    """Runs in `ero run`, stopped after the API (requests waiting at the gate are let through)
    and before the drain and the stages."""

    def __init__(
        self,
        *,
        bootstrap: str,
        declarations: Sequence[NewTopic],
        readers: Sequence[TopicReader],
        gate: AppendGate,
        policy: RecyclePolicy,
        on_recycled: Callable[[str], None] = lambda _: None,
        **kwargs: Any,
    ) -> None:
        """`declarations`: the recycled topics in pipeline order, as they are created;
        `on_recycled` is told each topic once it is recreated (its offsets start over)."""
        super().__init__(**kwargs)
        self._bootstrap = bootstrap
        self._declarations = tuple(declarations)
        self._topics = tuple(topic.name for topic in declarations)
        self._readers = tuple(readers)
        self._gate = gate
        self._policy = policy
        self._on_recycled = on_recycled
        self.recycles = 0

    @mode.Service.task
    async def _watch(self) -> None:
        while not self.should_stop:
            await self.sleep(0.2)
            if self._gate.appended() < self._policy.after_bytes:
                continue
            if await self.recycle():
                continue
            await self.sleep(self._policy.retry_seconds)

    async def recycle(self) -> bool:
        """One recycle; False when it could not proceed (nothing changed, try again later)."""
        started, appended = time.monotonic(), self._gate.appended()
        if not await self._readers_are_ours():
            return False
        for topic in self._topics:  # the bulk, while appends flow
            if not await self._caught_up(topic):
                return False
        closed: list[str] = []
        held = time.monotonic()
        try:
            for topic in self._topics:
                await self._gate.close(topic)
                closed.append(topic)
                if not await self._caught_up(topic):
                    return False
            for reader in self._readers:
                await reader.pause()
            await recreate_topics(self._bootstrap, self._declarations)
            for reader in self._readers:
                await reader.resume(from_beginning=True)
            await self._check_no_offsets_kept()
            for topic in self._topics:
                self._on_recycled(topic)
            appended = self._gate.appended()
            self._gate.reset()
            self.recycles += 1
            log.info(
                "broker_topics_recycled",
                topics=self._topics,
                appended_bytes=appended,
                caught_up_seconds=round(held - started, 3),
                seconds=round(time.monotonic() - started, 3),
                appends_held_seconds=round(time.monotonic() - held, 3),
            )
            return True
        finally:
            await self._gate.open(*closed)

    async def _readers_are_ours(self) -> bool:
        """No group reading the topics has a member outside this process."""
        ours = {reader.member_id() for reader in self._readers}
        try:
            groups = await consumer_groups(self._bootstrap)
        except KafkaError as exc:  # the broker unreachable for a moment: the next try will do
            log.warning("broker_recycle_groups_unreadable", error=repr(exc))
            return False
        for group, members in groups.items():
            foreign = members - ours
            if not foreign:
                continue
            for topic in self._topics:
                if await committed_offsets(self._bootstrap, group, topic):
                    log.warning("broker_recycle_held", group=group, topic=topic, members=foreign)
                    return False
        return True

    async def _caught_up(self, topic: str) -> bool:
        """Every reader of `topic` (all ours: `_readers_are_ours`) committed up to its current
        end, as far as they know what they committed (they are the group's only members)."""
        ends = {p: end for p, end in (await end_offsets(self._bootstrap, topic)).items() if end}
        readers = [reader for reader in self._readers if reader.topic == topic]
        if not readers:
            return True
        deadline = time.monotonic() + self._policy.catch_up_seconds
        while True:
            committed: dict[int, int] = {}
            for reader in readers:
                committed.update(reader.committed())
            if all(committed.get(p, 0) >= end for p, end in ends.items()):
                return True
            if time.monotonic() > deadline or self.should_stop:
                log.warning("broker_recycle_deferred", topic=topic, ends=ends, committed=committed)
                return False
            await self.sleep(0.01)

    async def _check_no_offsets_kept(self) -> None:
        """A committed offset beyond a new topic's end would make its group skip records."""
        groups = {reader.group_id: reader.topic for reader in self._readers}
        for group, topic in groups.items():
            kept = await committed_offsets(self._bootstrap, group, topic)
            if any(kept.values()):
                raise RuntimeError(f"group {group} kept offsets {kept} on recreated {topic}")
