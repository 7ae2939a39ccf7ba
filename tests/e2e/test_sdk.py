"""The connector SDK against the real pipeline, with faults injected on the network path only."""

from __future__ import annotations

from collections import Counter

import httpx
import pytest

from infra.broker import free_port
from ingest.sdk import BufferFull, ConnectorClient, DeliveryFailed, RetryPolicy
from tests.support.factories import sync_line
from tests.support.pipeline import Pipeline, wait_until

pytestmark = pytest.mark.pipeline

FAST_RETRY = RetryPolicy(attempts=4, first_delay=0.01, max_delay=0.05)


class FaultyNetwork(httpx.AsyncBaseTransport):
    """The real API behind a network that fails as scripted, one fault per request:
    "503" answers for a log that is down (the request never reaches the API), "lost" delivers
    the request and then loses the answer (the worst case for duplicates)."""

    def __init__(self, faults: list[str]) -> None:
        self._faults = list(faults)
        self._real = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        fault = self._faults.pop(0) if self._faults else None
        if fault == "503":
            return httpx.Response(503, headers={"Retry-After": "0"}, request=request)
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


async def test_the_buffer_is_bounded_while_the_server_is_unreachable() -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    client = ConnectorClient(
        nowhere, "key", batch_size=2, max_buffered=4, retry=RetryPolicy(1, 0.01, 0.01)
    )
    for i in range(4):  # full batches fail to send: kept, not raised from add()
        await client.add(sync_line(message=f"ligne {i}"))
    with pytest.raises(BufferFull):
        await client.add(sync_line(message="une de trop"))
    assert client.buffered == 4
    with pytest.raises(DeliveryFailed):
        await client.aclose()
    assert client.buffered == 4


async def test_closing_flushes_a_partial_batch(pipeline: Pipeline) -> None:
    licence = pipeline.create_licence("sdk flush")
    async with ConnectorClient(pipeline.url, licence.connector_key, batch_size=100) as client:
        sent = [await client.add(sync_line(message=f"fin de run {i}")) for i in range(3)]
        assert client.buffered == 3
    assert client.buffered == 0
    assert _event_ids(pipeline, licence.reader_token, expected=3) == Counter(sent)
