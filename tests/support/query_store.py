"""Ground truth for the query API: generated events written into a real chdb by the projection
writer, and the real FastAPI app serving them in-process (no broker on this path: the read side
only needs ClickHouse)."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from ero.api import create_api, read_only_state
from ero.settings import Settings
from infra.clickhouse import ClickHouse
from licences import Credentials, LicenceStore
from projections.sync_events import SyncEventsWriter, rows_of
from schemas import ClassifiedBatch, ClassifiedEvent, Level, Origin, Remediation

CONNECTORS = ("shop-a", "shop-b", "shop-c")
OPERATIONS = ("order.import", "stock.export", "price.export", "customer.import")
CONFIGS = ("cfg-1", "cfg-2", None)
# (message, level, origin, fingerprint): one fingerprint per template; one past 2**63.
TEMPLATES = (
    ("Commande {ref} importée dans Sage 100", Level.SUCCESS, Origin.CONNECTOR, 11),
    ("Stock mis à jour pour l'article {ref}", Level.SUCCESS, Origin.ERP, 12),
    ("Écart de TVA sur la commande {ref} : 20 % attendu", Level.ALERT, Origin.CMS, 13),
    ("Image introuvable pour le produit {ref}", Level.ALERT, Origin.CMS, 2**63 + 14),
    ("L'article '{ref}' est absent de la gestion commerciale", Level.ERROR, Origin.ERP, 15),
    ("Remise 100%_PROMO refusée pour {ref}", Level.ERROR, Origin.CONNECTOR, 16),
)


@dataclass(frozen=True)
class Row:
    """What a generated event must look like in every answer."""

    licence_id: str
    event: ClassifiedEvent


class Generator:
    """Deterministic events over the last 72 h, with ties on occurred_at to stress the keyset."""

    def __init__(self, seed: int, now: datetime) -> None:
        self.rng = random.Random(seed)
        self.now = now.replace(microsecond=0)
        self.sync_run = 0

    def event(self, occurred_at: datetime | None = None) -> ClassifiedEvent:
        rng = self.rng
        template, level, origin, fingerprint = rng.choice(TEMPLATES)
        ref = rng.choice(("CMD-", "SKU-")) + f"{rng.randrange(400):04d}"
        if occurred_at is None:
            occurred_at = self.now - timedelta(
                seconds=rng.randrange(72 * 3600), milliseconds=rng.randrange(1000)
            )
        if rng.random() < 0.05:
            self.sync_run += 1
        return ClassifiedEvent(
            event_id=uuid.UUID(int=rng.getrandbits(128), version=4),
            connector_id=rng.choice(CONNECTORS),
            occurred_at=occurred_at,
            operation=rng.choice(OPERATIONS),
            reference=ref,
            status=level.value,
            message=template.format(ref=ref),
            sync_id=f"run-{self.sync_run}" if rng.random() < 0.8 else None,
            config_id=rng.choice(CONFIGS),
            attributes={"shop": "Boutique Dupont"} if rng.random() < 0.3 else {},
            level=level,
            origin=origin,
            remediation=Remediation(
                hint=None if level is Level.SUCCESS else "Vérifiez la fiche",
                hint_en=None if level is Level.SUCCESS else "Check the record",
                url=None if level is Level.SUCCESS else "https://kb.example/fix",
                action=None,
            ),
            rule_id=f"rule-{fingerprint}",
            rule_version=1,
            template=template,
            fingerprint=fingerprint,
        )

    def events(self, count: int) -> list[ClassifiedEvent]:
        made: list[ClassifiedEvent] = []
        for _ in range(count):
            tie = made and self.rng.random() < 0.1  # same millisecond as the previous one
            made.append(self.event(made[-1].occurred_at if tie else None))
        return made


def batches(
    licence_id: str, events: list[ClassifiedEvent], size: int = 500
) -> list[ClassifiedBatch]:
    received_at = datetime.now(UTC)
    return [
        ClassifiedBatch(licence_id=licence_id, received_at=received_at, events=events[i : i + size])
        for i in range(0, len(events), size)
    ]


class QueryStore:
    """A chdb with the real schema, licences, the writer and the in-process API."""

    def __init__(self, clickhouse: ClickHouse, data_dir: Path) -> None:
        self.settings = Settings(data_dir=data_dir)
        self.clickhouse = clickhouse  # migrated by the session fixture
        self.writer = SyncEventsWriter(self.clickhouse)
        self.rows: list[Row] = []
        self.state = read_only_state(self.settings, self.clickhouse)
        self.api = TestClient(create_api(self.state))

    def licence(self, name: str) -> Credentials:
        return LicenceStore(self.clickhouse).create(name)

    def write(self, licence_id: str, events: list[ClassifiedEvent]) -> int:
        rows = [row for batch in batches(licence_id, events) for row in rows_of(batch)]
        written = asyncio.run(self.writer.write(rows))
        known = {row.event.event_id for row in self.rows}
        self.rows += [Row(licence_id, e) for e in events if e.event_id not in known]
        return written

    def of(self, licence: Credentials) -> list[Row]:
        return [row for row in self.rows if row.licence_id == licence.licence_id]

    def get(self, licence: Credentials, path: str, **params: Any) -> Any:
        response = self.api.get(
            path, params=params, headers={"Authorization": f"Bearer {licence.reader_token}"}
        )
        assert response.status_code == 200, response.text
        return response

    def all_items(
        self, licence: Credentials, page: int = 37, **params: Any
    ) -> list[dict[str, Any]]:
        return list(self.pages(licence, page, **params))

    def pages(self, licence: Credentials, page: int, **params: Any) -> Iterator[dict[str, Any]]:
        cursor = None
        while True:
            query = {**params, "limit": page, **({"cursor": cursor} if cursor else {})}
            body = self.get(licence, "/v1/reports", **query).json()
            yield from body["items"]
            cursor = body["next_cursor"]
            if cursor is None:
                return
