"""The ingest peer (bench/peers/gateway.py) as a child process of `ero-bench pipeline`: its
licences, its keys file, its own topic on the bench's broker, started and stopped."""

from __future__ import annotations

import asyncio
import secrets
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import orjson
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from ero.settings import Settings
from infra.broker import free_port
from licences import Credentials

TOPIC = "bench-peer-raw"


async def create_topic(bootstrap: str, topic: str, partitions: int) -> None:
    """As many partitions as our raw topic (ERO_TOPIC_PARTITIONS), whatever the broker's
    default for an auto-created topic."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        if topic not in set(await admin.list_topics()):
            response = await admin.create_topics([NewTopic(topic, partitions, 1)])
            for name, code, message in response.topic_errors:
                if code not in (0, TopicAlreadyExistsError.errno):
                    raise RuntimeError(f"cannot create topic {name}: {message} (code {code})")
    finally:
        await admin.close()


class PeerGateway:
    """The peer on the bench's broker, on a free port, with `licences` licences of random keys
    (the fleet posts with their connector keys; their reader tokens open nothing)."""

    def __init__(self, bootstrap: str, data_dir: Path, licences: int = 4) -> None:
        self.bootstrap = bootstrap
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.licences = [
            Credentials(
                licence_id=str(uuid.uuid4()),
                connector_key="eck_" + secrets.token_urlsafe(24),
                reader_token="ert_" + secrets.token_urlsafe(24),
            )
            for _ in range(licences)
        ]
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        asyncio.run(create_topic(self.bootstrap, TOPIC, Settings().topic_partitions))
        self.data_dir.mkdir(parents=True, exist_ok=True)
        keys = self.data_dir / "keys.json"
        keys.write_bytes(orjson.dumps({c.connector_key: c.licence_id for c in self.licences}))
        command = [sys.executable, "-m", "bench.peers.gateway", "--bootstrap", self.bootstrap]
        command += ["--topic", TOPIC, "--port", str(self.port), "--keys", str(keys)]
        log = self.data_dir / "peer.log"
        with log.open("ab") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=out)
        deadline = time.monotonic() + 60
        while not self._healthy():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the ingest peer did not start: see {log}")
            time.sleep(0.2)

    def _healthy(self) -> bool:
        try:
            return httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
