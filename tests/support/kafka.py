"""Writing to a topic as another producer would (an older gateway, a hand-made record)."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaProducer


def produce(bootstrap: str, topic: str, key: bytes, value: bytes) -> None:
    async def send() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
        await producer.start()
        try:
            await producer.send_and_wait(topic, value, key=key)
        finally:
            await producer.stop()

    asyncio.run(send())
