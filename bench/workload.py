"""The job every contender of `ero-bench pipeline` does, preloaded on the broker.

Two shapes of the raw topic (the SyncEvent contract, `schemas/records.py`):
- "batched": records of up to 500 events of one licence, as the HTTP gateway writes them;
- "single": one event per record, as a connector producing straight to Kafka writes them.
"""

from __future__ import annotations

import random
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiokafka import AIOKafkaProducer

from ingest.fleet import Templates
from schemas import SyncEvent
from schemas.records import RecordSeal, encode_batches

SHAPES = {"batched": 500, "single": 1}
LICENCES = 16  # keys spread over every partition
# The key our gateway seals its records with (schemas/records.py), shared with our worker: the
# batched shape is what the gateway writes, sealed; the single shape is a direct producer's,
# unsealed. The peers ignore seals (they validate every event, as any consumer of a topic open
# to direct producers must).
RECORD_KEY = "bench-record-key-" + "0" * 16


def events(corpora: list[Path], count: int, seed: int = 3) -> list[tuple[str, SyncEvent]]:
    """(licence_id, validated event) pairs, as the gateway would have accepted them."""
    templates = Templates(corpora)
    rng = random.Random(seed)
    now = datetime.now(UTC)
    licences = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(LICENCES)]
    made = []
    for index in range(count):
        licence = licences[index // 500 % LICENCES]
        line = templates.line(rng)
        line.update(
            event_id=str(uuid.UUID(int=rng.getrandbits(128))),
            connector_id=f"shop-{licence[:8]}-{index % 5}",
            occurred_at=(now - timedelta(milliseconds=index)).isoformat(),
            sync_id=f"run-{index // 500}",
        )
        made.append((licence, SyncEvent.model_validate(line)))
    return made


async def produce(
    bootstrap: str, topic: str, workload: list[tuple[str, SyncEvent]], per_record: int
) -> int:
    """Write the workload as records of `per_record` events; return the number of records.
    Records of many events are the gateway's, sealed as it seals them."""
    seal = RecordSeal(RECORD_KEY.encode())
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", linger_ms=5, max_request_size=4_194_304
    )
    await producer.start()
    received_at = datetime.now(UTC)
    records = 0
    try:
        pending = []
        for start in range(0, len(workload), per_record):
            chunk = workload[start : start + per_record]
            licence = chunk[0][0]  # runs of 500 events share a licence: so do the chunks
            batch = [event for _, event in chunk]
            for value in encode_batches(licence, received_at, batch, 1 << 20):
                headers = [seal.header(value)] if per_record > 1 else []
                pending.append(
                    await producer.send(topic, value, key=licence.encode(), headers=headers)
                )
                records += 1
            if len(pending) >= 10_000:
                for delivery in pending:
                    await delivery
                pending.clear()
                sys.stderr.write(f"\rpreloading {topic}: {start + per_record:,} events  ")
        for delivery in pending:
            await delivery
    finally:
        await producer.stop()
    sys.stderr.write(f"\rpreloaded {topic}: {len(workload):,} events in {records:,} records\n")
    return records
