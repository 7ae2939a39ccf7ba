"""The connector SDK against the real pipeline, with faults injected on the network path only."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from infra.broker import free_port
from ingest.sdk import BufferFull, ConnectorClient, Refused, RetryPolicy, Undelivered
from tests.support.factories import sync_line
from tests.support.pipeline import Pipeline, wait_until
from tests.support.receivers import EventsReceiver

pytestmark = pytest.mark.pipeline

FAST_RETRY = RetryPolicy(attempts=4, first_delay=0.01, max_delay=0.05)


class FaultyNetwork(httpx.AsyncBaseTransport):
    """The real API behind a network that fails as scripted, one fault per request:
    "503" answers for a log that is down, "500" for a server fault (the request never reaches
    the API), "lost" delivers
    the request and then loses the answer (the worst case for duplicates)."""

    def __init__(self, faults: list[str]) -> None:
        self._faults = list(faults)
        self._real = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        fault = self._faults.pop(0) if self._faults else None
        if fault in ("500", "503"):
            return httpx.Response(int(fault), headers={"Retry-After": "0"}, request=request)
        response = await self._real.handle_async_request(request)
        if fault == "lost":
            await response.aread()
            raise httpx.ReadError("connection reset while reading the answer", request=request)
        return response

    async def aclose(self) -> None:
        await self._real.aclose()


def _event_ids(pipeline: Pipeline, reader_token: str, expected: int) -> Counter[str]:
    with pipeline.client(reader_token) as reader:

        def listed() -> Counter[str] | None:
            items = reader.get("/v1/reports", params={"limit": 500}).json()["items"]
            return Counter(item["event_id"] for item in items) if len(items) >= expected else None

        return wait_until(listed)


async def test_retries_after_503_and_lost_answers_keep_ids_and_never_duplicate(
    pipeline: Pipeline,
) -> None:
    licence = pipeline.create_licence("sdk retries")
    network = FaultyNetwork(["503", "lost", "lost"])
    client = ConnectorClient(
        pipeline.url, licence.connector_key, batch_size=5, retry=FAST_RETRY, transport=network
    )
    async with client:
        sent = [await client.add(sync_line(event_id=None, message=f"ligne {i}")) for i in range(8)]
    assert client.delivered.accepted == 8
    assert client.delivered.retries == 3  # the first batch reached the log three times

    stored = _event_ids(pipeline, licence.reader_token, expected=8)
    assert stored == Counter(sent)  # every line once, under the id it was given when added


async def test_the_buffer_is_bounded_while_a_batch_is_retried(tmp_path: Path) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    client = ConnectorClient(
        nowhere,
        "key",
        batch_size=2,
        max_buffered=4,
        retry=RetryPolicy(3, 0.05, 0.05),
        undelivered_dir=tmp_path,
    )
    # Connector tasks adding at once while the first batch waits out its retries.
    added = await asyncio.gather(
        *(client.add(sync_line(message=f"ligne {i}")) for i in range(6)), return_exceptions=True
    )
    assert sum(isinstance(outcome, BufferFull) for outcome in added) == 2
    await client.aclose()
    assert client.buffered == 0
    kept = [line["event_id"] for path in client.delivered.files for line in _lines(path)]
    assert sorted(kept) == sorted(outcome for outcome in added if isinstance(outcome, str))


def _files(directory: Path) -> list[Path]:
    return sorted(directory.iterdir())


def _lines(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


async def test_a_server_answering_500_gets_bounded_retries_then_the_batch_goes_to_a_file(
    tmp_path: Path,
) -> None:
    """30 lines, batches of 5, a server that only ever answers 500: each batch is tried
    `attempts` times, then written to a file, and the buffer moves on."""
    with EventsReceiver(500).running() as server:
        client = ConnectorClient(
            server.url, "key", batch_size=5, retry=FAST_RETRY, undelivered_dir=tmp_path
        )
        async with client:
            sent = [await client.add(sync_line(message=f"ligne {i}")) for i in range(30)]
            assert client.buffered == 0
    assert len(server.bodies) == 6 * FAST_RETRY.attempts
    assert client.delivered.undelivered == 30
    assert _files(tmp_path) == sorted(client.delivered.files)
    assert [line["event_id"] for path in client.delivered.files for line in _lines(path)] == sent


async def test_a_refused_batch_is_not_retried_and_goes_to_the_callers_callback() -> None:
    handed: list[Undelivered] = []

    async def keep(batch: Undelivered) -> None:
        handed.append(batch)

    with EventsReceiver(400).running() as server:
        client = ConnectorClient(server.url, "key", batch_size=2, on_undelivered=keep)
        await client.add(sync_line(message="une"))
        with pytest.raises(Refused) as refused:
            await client.add(sync_line(message="deux"))
        assert refused.value.status == 400
        await client.add(sync_line(message="trois"))  # the next batch is sent: not stuck
        with pytest.raises(Refused):
            await client.aclose()
    assert len(server.bodies) == 2  # once each: a 4xx is never retried
    assert [(b.status, [line["message"] for line in b.lines]) for b in handed] == [
        (400, ["une", "deux"]),
        (400, ["trois"]),
    ]


async def test_a_batch_the_pipeline_failed_is_filed_and_posts_again_as_it_is(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    licence = pipeline.create_licence("sdk 500")
    network = FaultyNetwork(["500"] * FAST_RETRY.attempts)
    client = ConnectorClient(
        pipeline.url,
        licence.connector_key,
        batch_size=5,
        retry=FAST_RETRY,
        transport=network,
        undelivered_dir=tmp_path,
    )
    async with client:
        sent = [await client.add(sync_line(message=f"ligne {i}")) for i in range(15)]
    assert (client.delivered.accepted, client.delivered.undelivered) == (10, 5)
    [filed] = client.delivered.files
    with pipeline.client(licence.connector_key) as connector:
        again = connector.post(
            "/v1/events",
            content=filed.read_bytes(),
            headers={"Content-Type": "application/x-ndjson"},
        )
    assert again.status_code == 202, again.text
    assert _event_ids(pipeline, licence.reader_token, expected=15) == Counter(sent)


async def test_closing_flushes_a_partial_batch(pipeline: Pipeline) -> None:
    licence = pipeline.create_licence("sdk flush")
    async with ConnectorClient(pipeline.url, licence.connector_key, batch_size=100) as client:
        sent = [await client.add(sync_line(message=f"fin de run {i}")) for i in range(3)]
        assert client.buffered == 3
    assert client.buffered == 0
    assert _event_ids(pipeline, licence.reader_token, expected=3) == Counter(sent)
