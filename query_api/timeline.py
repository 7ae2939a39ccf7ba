"""A reference's timeline: every event of one order or product across syncs, oldest first, the
step each event stands for, and how long the reference took from first sight to first success.

Steps come from the operation (what the connector did with the reference), the level from the
classifier (whether it worked): `order.import` at level error is the import step, failed. The
mapping is small on purpose and documented in docs/api.md; an operation it does not know keeps
its own name as step, so a connector's new operation still shows, just unlabelled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field

from query_api.reports import COLUMNS, ReportItem, report_item
from query_api.scope import Statement
from schemas import Level


@dataclass(frozen=True)
class Step:
    name: str
    label_fr: str
    label_en: str


STEPS: dict[str, Step] = {
    step.name: step
    for step in (
        Step("imported", "Import dans l'ERP", "Import into the ERP"),
        Step("status_sent", "Statut renvoyé à la boutique", "Status sent to the shop"),
        Step("invoiced", "Facture envoyée à la boutique", "Invoice sent to the shop"),
        Step("customer_imported", "Client importé dans l'ERP", "Customer imported into the ERP"),
        Step("published", "Produit publié sur la boutique", "Product published on the shop"),
        Step("stock_updated", "Stock mis à jour", "Stock updated"),
        Step("price_updated", "Prix mis à jour", "Price updated"),
        Step("synced", "Synchronisation", "Sync run"),
    )
}

OPERATION_STEPS: dict[str, str] = {
    "order.import": "imported",
    "order.status": "status_sent",
    "invoice.export": "invoiced",
    "customer.import": "customer_imported",
    "product.export": "published",
    "stock.export": "stock_updated",
    "price.export": "price_updated",
    "sync.run": "synced",
}
"""The operations ERO's corpus and fleet simulator send, each to the step it stands for."""


def step_of(operation: str) -> Step:
    """The step `operation` stands for; an unknown operation is its own step, labelled by name."""
    name = OPERATION_STEPS.get(operation)
    return STEPS[name] if name else Step(operation, operation, operation)


class TimelineEvent(ReportItem):
    step: str = Field(description="what the event stands for (docs/api.md); else its operation")
    step_label_fr: str
    step_label_en: str


class TimelineSummary(BaseModel):
    events: int = Field(description="every event of the reference, shown or not")
    first_seen: datetime
    last_seen: datetime
    first_success: datetime | None = Field(description="null: never succeeded")
    seconds_to_success: float | None = Field(
        description="first_seen to first_success; null if it never succeeded"
    )
    state: Level = Field(description="level of the newest event")
    state_step: str
    state_label_fr: str
    state_label_en: str


_EVENTS = f"""
SELECT {COLUMNS}
FROM sync_events
WHERE licence_id = {{licence_id:String}} AND reference = {{reference:String}}
ORDER BY licence_id, occurred_at, event_id
LIMIT {{limit:UInt32}}
"""

_SUMMARY = """
SELECT count(), min(occurred_at), max(occurred_at), countIf(level = 'success'),
       minIf(occurred_at, level = 'success'), argMax(level, (occurred_at, event_id)),
       argMax(operation, (occurred_at, event_id))
FROM sync_events
WHERE licence_id = {licence_id:String} AND reference = {reference:String}
"""


def events_statement(licence_id: str, reference: str, limit: int) -> Statement:
    return Statement(_EVENTS, {"licence_id": licence_id, "reference": reference, "limit": limit})


def summary_statement(licence_id: str, reference: str) -> Statement:
    return Statement(_SUMMARY, {"licence_id": licence_id, "reference": reference})


def timeline_event(row: tuple[Any, ...]) -> TimelineEvent:
    item = report_item(row)
    step = step_of(item.operation)
    return TimelineEvent(
        **item.model_dump(),
        step=step.name,
        step_label_fr=step.label_fr,
        step_label_en=step.label_en,
    )


def timeline_summary(row: tuple[Any, ...]) -> TimelineSummary | None:
    """The summary of the reference's events; None when the licence has none of it."""
    count, first_seen, last_seen, successes, first_success, level, operation = row
    if not count:
        return None
    success = first_success if successes else None
    step = step_of(operation)
    return TimelineSummary(
        events=count,
        first_seen=first_seen,
        last_seen=last_seen,
        first_success=success,
        seconds_to_success=(success - first_seen).total_seconds() if success else None,
        state=level,
        state_step=step.name,
        state_label_fr=step.label_fr,
        state_label_en=step.label_en,
    )


TIME_TO_SUCCESS_DAYS = (7, 30)


class TimeToSuccess(BaseModel):
    days: int = Field(description="references first seen in the `days` days before `until`")
    references: int = Field(description="references first seen then")
    succeeded: int = Field(description="of which succeeded at least once")
    p50_seconds: float | None = Field(description="median first sight to first success")
    p95_seconds: float | None


# One scan of the longest window; each shorter one is an -If of the same per-reference rows.
# Events before the window are not read (bounded cost): a reference already seen earlier counts
# from its first event inside it.
_TIME_TO_SUCCESS = """
SELECT {columns}
FROM (
    SELECT min(occurred_at) AS first_seen,
           countIf(level = 'success') > 0 AS succeeded,
           dateDiff('millisecond', first_seen, minIf(occurred_at, level = 'success')) / 1000
               AS seconds
    FROM sync_events
    WHERE licence_id = {{licence_id:String}} AND reference != ''
      AND occurred_at >= {{since:DateTime64(3, 'UTC')}}
      AND occurred_at < {{until:DateTime64(3, 'UTC')}}
    GROUP BY reference
)
"""


def time_to_success_statement(licence_id: str, until: datetime) -> Statement:
    columns = ", ".join(
        f"countIf(first_seen >= {{since{days}:DateTime64(3, 'UTC')}}), "
        f"countIf(succeeded AND first_seen >= {{since{days}:DateTime64(3, 'UTC')}}), "
        f"quantilesIf(0.5, 0.95)(seconds, succeeded AND first_seen >= "
        f"{{since{days}:DateTime64(3, 'UTC')}})"
        for days in TIME_TO_SUCCESS_DAYS
    )
    bounds = {f"since{days}": until - timedelta(days=days) for days in TIME_TO_SUCCESS_DAYS}
    return Statement(
        _TIME_TO_SUCCESS.format(columns=columns),
        {
            "licence_id": licence_id,
            "since": until - timedelta(days=max(TIME_TO_SUCCESS_DAYS)),
            "until": until,
            **bounds,
        },
    )


def time_to_success(row: tuple[Any, ...]) -> list[TimeToSuccess]:
    figures = []
    for index, days in enumerate(TIME_TO_SUCCESS_DAYS):
        references, succeeded, (p50, p95) = row[index * 3 : index * 3 + 3]
        figures.append(
            TimeToSuccess(
                days=days,
                references=references,
                succeeded=succeeded,
                p50_seconds=round(p50, 3) if succeeded else None,
                p95_seconds=round(p95, 3) if succeeded else None,
            )
        )
    return figures
