"""`ero-bench post`: post N events to a running pipeline and time accept and end to end.

End to end = from the first POST to every event counted by /v1/dashboard (i.e. classified,
projected and queryable). Progress goes to stderr, figures to stdout.
"""

from __future__ import annotations

import asyncio
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import orjson

from bench.console import show_count
from licences import Credentials

_MESSAGES = (
    ("ok", "Commande {ref} importée dans Sage 100"),
    ("ok", "Stock mis à jour pour l'article {ref}"),
    ("warning", "Image introuvable pour le produit {ref}, produit publié sans image"),
    ("error", "L'article '{ref}' est absent de la gestion commerciale"),
)


@dataclass(frozen=True)
class PostFigures:
    events: int
    batch: int
    accept_seconds: float
    end_to_end_seconds: float

    def table(self) -> str:
        return "\n".join(
            [
                f"events posted        {self.events} (batches of {self.batch})",
                f"accepted (HTTP 202)  {self.events / self.accept_seconds:,.0f} events/s"
                f"  ({self.accept_seconds:.2f} s)",
                f"end to end           {self.events / self.end_to_end_seconds:,.0f} events/s"
                f"  ({self.end_to_end_seconds:.2f} s, accept -> counted by /v1/dashboard)",
            ]
        )


def _batch(start: int, size: int, now: datetime) -> bytes:
    lines = []
    for index in range(start, start + size):
        status, template = _MESSAGES[index % len(_MESSAGES)]
        lines.append(
            {
                "event_id": str(uuid.uuid4()),
                "connector_id": f"shop-{index % 50}",
                "occurred_at": (now - timedelta(milliseconds=index)).isoformat(),
                "operation": "order.import",
                "reference": f"REF-{index}",
                "status": status,
                "message": template.format(ref=f"REF-{index}"),
                "sync_id": f"run-{index // 500}",
            }
        )
    return orjson.dumps(lines)


async def bench_post(
    api_url: str, licence: Credentials, events: int, batch: int, concurrency: int
) -> PostFigures:
    now = datetime.now(UTC)
    bodies = [_batch(start, min(batch, events - start), now) for start in range(0, events, batch)]
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    posted = 0
    headers = {
        "Authorization": f"Bearer {licence.connector_key}",
        "Content-Type": "application/json",
    }
    async with httpx.AsyncClient(base_url=api_url, headers=headers, timeout=60) as client:

        async def sender() -> None:
            nonlocal posted
            while not queue.empty():
                body = queue.get_nowait()
                response = await client.post("/v1/events", content=body)
                if response.status_code != 202:
                    raise RuntimeError(f"POST /v1/events: {response.status_code} {response.text}")
                posted += response.json()["accepted"]
                show_count("posting", posted, events)

        started = time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(concurrency)))
        accepted = time.perf_counter() - started
        sys.stderr.write("\n")

        reader = {"Authorization": f"Bearer {licence.reader_token}"}
        counted = 0
        while counted < events:
            dashboard = (await client.get("/v1/dashboard", headers=reader)).json()
            counted = sum(level["count"] for level in dashboard["levels"].values())
            show_count("queryable", counted, events)
            if counted < events:
                await asyncio.sleep(0.05)
        end_to_end = time.perf_counter() - started
        sys.stderr.write("\n")
    return PostFigures(events, batch, accepted, end_to_end)
