"""One Kafka producer per process, shared by every writer of the log (ingest, control plane).

It connects on first use, so the API starts even while the broker is down; every `send_all`
returns only once each record is acked with acks=all, or raises `LogUnavailable`.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from infra.append_gate import AppendGate


class LogUnavailable(RuntimeError):
    """The log did not confirm the append in time; nothing of it may be reported accepted."""


Headers = Sequence[tuple[str, bytes]]
Record = tuple[str, bytes, bytes, Headers]  # topic, key, value, headers


@dataclass(frozen=True)
class ProducerConfig:
    bootstrap: str
    max_record_bytes: int
    """What one record may weigh (Kafka's default max.message.bytes is ~1 MB)."""
    timeout_seconds: float
    """How long an append may wait for the brokers' acks before it is reported failed."""
    compression: str | None = None
    """The record batches' codec (aiokafka's `compression_type`); None: uncompressed."""


class LogProducer:
    def __init__(self, config: ProducerConfig, gate: AppendGate | None = None) -> None:
        """`gate`: appends to its topics wait while it holds them (infra/append_gate.py)."""
        self._gate = gate
        self._bootstrap = config.bootstrap
        self._max_record_bytes = config.max_record_bytes
        self._timeout = config.timeout_seconds
        self._compression = config.compression
        self._producer: AIOKafkaProducer | None = None
        self._starting = asyncio.Lock()

    async def _connected(self) -> AIOKafkaProducer:
        async with self._starting:
            if self._producer is None:
                producer = AIOKafkaProducer(
                    bootstrap_servers=self._bootstrap,
                    acks="all",
                    linger_ms=2,
                    compression_type=self._compression,
                    max_request_size=max(1_048_576, 2 * self._max_record_bytes),
                    request_timeout_ms=int(self._timeout * 1000),
                )
                try:
                    await producer.start()
                except BaseException:
                    await producer.stop()
                    raise
                self._producer = producer
            return self._producer

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def ready(self) -> bool:
        try:
            async with asyncio.timeout(2.0):
                producer = await self._connected()
                await producer.client.fetch_all_metadata()
        except (KafkaError, TimeoutError, OSError):
            return False
        return True

    async def send_all(self, records: Sequence[Record]) -> None:
        """Send in order and wait for every ack (records of one key stay in order). A wait at
        the gate is not counted in the timeout: the gate is held briefly, and only by us."""
        if self._gate is None:
            await self._send_all(records)
            return
        sizes: Counter[str] = Counter()
        for topic, _, value, _ in records:
            sizes[topic] += len(value)
        async with self._gate.appending(sizes):
            await self._send_all(records)

    async def _send_all(self, records: Sequence[Record]) -> None:
        try:
            async with asyncio.timeout(self._timeout):
                producer = await self._connected()
                pending = [
                    await producer.send(topic, value, key=key, headers=list(headers))
                    for topic, key, value, headers in records
                ]
                await asyncio.gather(*pending)
        except (KafkaError, TimeoutError, OSError) as exc:
            raise LogUnavailable(str(exc) or type(exc).__name__) from exc
