"""The pipeline's topics, declared idempotently at start (Apache Kafka and Tansu alike)."""

from __future__ import annotations

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
