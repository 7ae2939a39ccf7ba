"""The pipeline's topics, declared idempotently at start (Apache Kafka and Tansu alike)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError


@dataclass(frozen=True)
class Topics:
    raw: str
    classified: str
    dead_letter: str
    rules: str
    control: str  # control-plane commands, keyed by licence so one licence's stay ordered
    partitions: int = 4
    replication: int = 1

    @classmethod
    def named(cls, prefix: str, partitions: int = 4, replication: int = 1) -> Topics:
        return cls(
            raw=f"{prefix}.events.raw",
            classified=f"{prefix}.events.classified",
            dead_letter=f"{prefix}.events.dead-letter",
            rules=f"{prefix}.rules",
            control=f"{prefix}.control",
            partitions=partitions,
            replication=replication,
        )

    @property
    def recycled(self) -> tuple[str, ...]:
        """The high-volume topics, in pipeline order: what a memory-only broker recycles
        (streaming/recycle.py). The others (control, rules, dead letters) stay: they are
        small, and the rules topic is the catalog's only copy on the broker."""
        return (self.raw, self.classified)

    def declarations(self) -> list[NewTopic]:
        partitions, replication = self.partitions, self.replication
        return [
            NewTopic(self.raw, partitions, replication),
            NewTopic(self.classified, partitions, replication),
            NewTopic(self.dead_letter, partitions, replication),
            NewTopic(self.control, partitions, replication),
            # One catalog at a time: one partition, compacted to the latest version.
            NewTopic(self.rules, 1, replication, topic_configs={"cleanup.policy": "compact"}),
        ]


async def ensure_topics(bootstrap: str, topics: Topics) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [topic for topic in topics.declarations() if topic.name not in existing]
        if missing:
            response = await admin.create_topics(missing)
            for name, code, message in response.topic_errors:
                if code not in (0, TopicAlreadyExistsError.errno):
                    raise RuntimeError(f"cannot create topic {name}: {message} (code {code})")
    finally:
        await admin.close()


async def end_offsets(bootstrap: str, topic: str) -> dict[int, int]:
    """partition -> the offset the next record will get."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer.topics()
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        ends = await consumer.end_offsets(partitions) if partitions else {}
        return {tp.partition: offset for tp, offset in ends.items()}
    finally:
        await consumer.stop()


_DELETION_SECONDS = 30.0
"""How long a deleted topic may take to go (Kafka deletes in the background)."""


async def committed_offsets(bootstrap: str, group: str, topic: str) -> dict[int, int]:
    """partition -> `group`'s committed offset on `topic` (partitions never committed, or whose
    offsets went with a deleted topic, are left out). Read through OffsetFetch by a consumer of
    the group that does not join it."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group)
    await consumer.start()
    try:
        await consumer.topics()
        found = {}
        for partition in sorted(consumer.partitions_for_topic(topic) or ()):
            offset = await consumer.committed(TopicPartition(topic, partition))
            if offset is not None:
                found[partition] = offset
        return found
    finally:
        await consumer.stop()


async def consumer_groups(bootstrap: str) -> dict[str, set[str]]:
    """Every consumer group the broker knows -> the ids of its members (none once it is empty)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        names = [name for name, _ in await admin.list_consumer_groups()]
        if not names:
            return {}
        members: dict[str, set[str]] = {}
        for name in names:  # one per request: Tansu 0.6 cuts an answer on several groups short
            for response in await admin.describe_consumer_groups([name]):
                for _, group, _, _, _, described in response.groups:
                    members[group] = {member[0] for member in described}
        return members
    finally:
        await admin.close()


async def recreate_topics(bootstrap: str, declarations: Sequence[NewTopic]) -> None:
    """Delete the topics and create them again, empty, with the same declarations: the only
    way a memory-only broker frees what they hold. Kafka deletes asynchronously, so the creation
    is retried while the old topic is still being deleted."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        names = [topic.name for topic in declarations]
        await admin.delete_topics(names)
        deadline = time.monotonic() + _DELETION_SECONDS
        pending = list(declarations)
        while pending:
            response = await admin.create_topics(pending)
            retry = []
            for name, code, message in response.topic_errors:
                if code == TopicAlreadyExistsError.errno and time.monotonic() < deadline:
                    retry.append(name)
                elif code != 0:
                    raise RuntimeError(f"cannot recreate topic {name}: {message} (code {code})")
            pending = [topic for topic in pending if topic.name in retry]
            if pending:
                await asyncio.sleep(0.1)
    finally:
        await admin.close()
