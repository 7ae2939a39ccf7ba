"""Alert latency under load: a licence with a webhook channel (a receiver in the bench's
process) posts, every few seconds, an error of a group never seen before (a new operation); the
latency is from the POST's 202 to the webhook's arrival (the desk's pass interval, the
projection's delay and the send)."""

from __future__ import annotations

import asyncio
import random
import string
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import orjson

from bench.console import say
from infra.broker import free_port
from licences import Credentials

EVERY_SECONDS = 3.0


class _Receiver:
    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        arrived = self.arrived

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = orjson.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
                summary = str(body.get("summary_en", ""))
                if body.get("kind") == "new_group" and "[" in summary and "]" in summary:
                    operation = summary[summary.index("[") + 1 : summary.index("]")]
                    arrived.setdefault(operation, time.perf_counter())
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/alerts"


@contextmanager
def receiver() -> Iterator[_Receiver]:
    served = _Receiver()
    thread = threading.Thread(target=served.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield served
    finally:
        served.server.shutdown()
        served.server.server_close()


def _operation() -> str:
    # A group is its operation, origin and template: a new operation, a new group.
    return "probe." + "".join(random.choices(string.ascii_lowercase, k=10))


async def probe_alerts(
    client: httpx.AsyncClient, licence: Credentials, until: asyncio.Task[Any]
) -> list[float]:
    """Probes until `until` is done; returns each probe's latency in seconds (a probe not told
    within 120 s after the load counts as 120 s)."""
    reader = {"Authorization": f"Bearer {licence.reader_token}"}
    writer = {"Authorization": f"Bearer {licence.connector_key}"}
    with receiver() as hooks:
        created = await client.post(
            "/v1/alerts/channels",
            json={"kind": "webhook", "name": "bench", "url": hooks.url},
            headers=reader,
        )
        created.raise_for_status()
        # Every probe told: no hourly cap in the way, and only new groups (the probes' errors
        # would make a spike too).
        for path, body in (
            ("/v1/alerts/settings", {"max_per_hour": 1000}),
            ("/v1/alerts/rules/error_spike", {"enabled": False}),
        ):
            (await client.put(path, json=body, headers=reader)).raise_for_status()
        sent: dict[str, float] = {}
        while not until.done():
            line = {
                "connector_id": "probe",
                "occurred_at": datetime.now(UTC).isoformat(),
                "operation": _operation(),
                "status": "erreur",
                "message": "Le transporteur est inconnu de la gestion commerciale",
            }
            (await client.post("/v1/events", json=[line], headers=writer)).raise_for_status()
            sent[line["operation"]] = time.perf_counter()
            await asyncio.sleep(EVERY_SECONDS)
        deadline = time.perf_counter() + 120
        # The receiver's thread fills `arrived`: polled, as no event loop runs there.
        while not sent.keys() <= hooks.arrived.keys() and time.perf_counter() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.1)
        listed = (await client.get("/v1/alerts", headers=reader)).json()
        say(
            f"alert probes: {len(sent.keys() & hooks.arrived.keys())} of {len(sent)} told; "
            f"{len(listed.get('alerts', []))} alerts listed"
        )
        return [hooks.arrived.get(word, at + 120) - at for word, at in sent.items()]
