"""The ingest peer: the HTTP gateway a competent engineer writes in an afternoon, measured by
`ero-bench pipeline` against `ero api` with the same fleet on the same broker.

FastAPI + uvicorn in one process, served as `ero api` serves (the same uvicorn options, on
`asyncio.run`), `POST /v1/events` with the same contract (`schemas.SyncEvent`, validated by
pydantic), the same limits (events per request, body bytes, record bytes) and the same
durability: one aiokafka producer with acks=all, and the 202 only once the broker acked every
record of the batch. What it leaves out is what ours adds on that path: per-line rejections
kept as dead letters (here one bad line refuses the whole request, 422), the time bounds on
`occurred_at`, NDJSON bodies, duplicate ids within a request, sealed records, connector keys
looked up in the licence store, metrics and logs. So the gap between the two is what those
cost, or what ours saves despite them.

    python -m bench.peers.gateway --bootstrap H:P --topic T --port P --keys FILE

FILE: JSON {connector_key: licence_id}, read once at start.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import orjson
import uvicorn
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import TypeAdapter, ValidationError

from ero.settings import Settings
from schemas import SyncEvent
from schemas.records import encode_batches

EVENTS = TypeAdapter(list[SyncEvent])


def create_app(bootstrap: str, topic: str, keys: dict[str, str], settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap,
            acks="all",
            linger_ms=2,  # as ours (infra/log_producer.py)
            max_request_size=max(1_048_576, 2 * settings.max_record_bytes),
            request_timeout_ms=int(settings.broker_timeout_seconds * 1000),
        )
        await app.state.producer.start()
        try:
            yield
        finally:
            await app.state.producer.stop()

    app = FastAPI(title="ingest peer", lifespan=lifespan)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/v1/events", status_code=202)
    async def post_events(request: Request) -> JSONResponse:
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        licence_id = keys.get(key) if scheme.lower() == "bearer" else None
        if licence_id is None:
            raise HTTPException(401, "unknown connector key")
        declared = request.headers.get("content-length")
        if declared is not None and int(declared) > settings.max_request_bytes:
            raise HTTPException(413, f"body over {settings.max_request_bytes} bytes")
        body = await request.body()
        if len(body) > settings.max_request_bytes:
            raise HTTPException(413, f"body over {settings.max_request_bytes} bytes")
        try:
            events = EVENTS.validate_json(body)
        except ValidationError as exc:
            raise RequestValidationError(exc.errors()) from exc
        if len(events) > settings.max_events_per_request:
            raise HTTPException(413, f"over {settings.max_events_per_request} events")
        events = [event.with_identity(licence_id) for event in events]
        received_at = datetime.now(UTC)
        records = encode_batches(licence_id, received_at, events, settings.max_record_bytes)
        producer: AIOKafkaProducer = request.app.state.producer
        key_bytes = licence_id.encode()
        sent = [await producer.send(topic, record, key=key_bytes) for record in records]
        await asyncio.gather(*sent)  # every record acked (acks=all) before the 202
        return JSONResponse(
            {"accepted": len(events), "rejected": [], "duplicates": []}, status_code=202
        )

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--keys", type=Path, required=True)
    args = parser.parse_args()
    keys: dict[str, str] = orjson.loads(args.keys.read_bytes())
    app = create_app(args.bootstrap, args.topic, keys, Settings())
    # As `ero api` (ero/api.py api_server, ero/runtime.py run_api), less what only ours needs.
    config = uvicorn.Config(
        app, host="127.0.0.1", port=args.port, log_config=None, access_log=False, lifespan="on"
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(uvicorn.Server(config).serve())


if __name__ == "__main__":
    main()
