"""Whether the remote actions suggested for an error group worked: per group for its licence,
and ranked across the fleet for the vendor (each action, each knowledge-base article), from
control_plane/action_effects.py."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from control_plane.action_effects import NEXT_SYNCS, ActionEffects, Effect, Verdict
from control_plane.http.common import Bus
from control_plane.http.group_workflow import Fingerprint
from licences.http import Operator, ReaderPrincipal

router = APIRouter(tags=["error groups"])
operator_router = APIRouter(tags=["operators"], dependencies=[Operator])

MAX_SHOWN = 20


class EffectOut(BaseModel):
    action_id: str
    action: str
    finished_at: datetime
    errors_before: int = Field(description="the group's errors in the day before it ran")
    errors_after: int = Field(description="its errors since (within a day)")
    syncs_after: int = Field(description="sync runs started since (within a day)")
    verdict: Verdict = Field(
        description=f"stopped: no error of the group in the {NEXT_SYNCS} runs or more since; "
        "continues: its errors came back; too_early: fewer runs since"
    )


class GroupEffects(BaseModel):
    fingerprint: str
    actions: list[EffectOut] = Field(max_length=MAX_SHOWN, description="latest first")


class Ranked(BaseModel):
    key: str = Field(description="the action's name, or the article's URL")
    measured: int = Field(description="actions whose effect is known (stopped or continues)")
    stopped: int
    continues: int
    too_early: int
    stopped_ratio: float | None = Field(description="stopped / measured; null: none measured")


class FleetEffects(BaseModel):
    actions: list[Ranked]
    articles: list[Ranked] = Field(
        description="the knowledge-base article of each action's group (its remediation URL)"
    )


def _out(effect: Effect) -> EffectOut:
    assert effect.action.finished_at is not None, "only finished actions have an effect"
    return EffectOut(
        action_id=effect.action.action_id,
        action=str(effect.action.action),
        finished_at=effect.action.finished_at,
        errors_before=effect.errors_before,
        errors_after=effect.errors_after,
        syncs_after=effect.syncs_after,
        verdict=effect.verdict,
    )


@router.get(
    "/v1/groups/{fingerprint}/effects",
    response_model=GroupEffects,
    summary="Whether the actions run for this error group stopped its errors",
    description=f"The latest {MAX_SHOWN} succeeded actions suggested by one of the group's "
    "report lines, each with the group's errors before and after it.",
)
async def group_effects(
    fingerprint: Fingerprint, principal: ReaderPrincipal, bus: Bus
) -> GroupEffects:
    effects = ActionEffects(bus.store)
    found = await effects.of(await effects.succeeded(principal.licence_id))
    mine = [e for e in found if e.fingerprint == fingerprint][:MAX_SHOWN]
    return GroupEffects(fingerprint=str(fingerprint), actions=[_out(e) for e in mine])


def _ranked(effects: Iterable[Effect], key: Callable[[Effect], str]) -> list[Ranked]:
    tally: dict[str, dict[Verdict, int]] = {}
    for effect in effects:
        counts = tally.setdefault(key(effect), {"stopped": 0, "continues": 0, "too_early": 0})
        counts[effect.verdict] += 1
    rows = []
    for name, counts in tally.items():
        measured = counts["stopped"] + counts["continues"]
        rows.append(
            Ranked(
                key=name,
                measured=measured,
                **counts,
                stopped_ratio=counts["stopped"] / measured if measured else None,
            )
        )
    return sorted(rows, key=lambda r: (-(r.stopped_ratio or 0.0), -r.measured, r.key))


@operator_router.get(
    "/v1/admin/effects",
    response_model=FleetEffects,
    summary="Remote actions and knowledge-base articles ranked by how often they stopped errors",
    description="Over the fleet's latest 500 succeeded actions suggested by a report line.",
)
async def fleet_effects(bus: Bus) -> FleetEffects:
    effects = ActionEffects(bus.store)
    found = await effects.of(await effects.succeeded(None))
    return FleetEffects(
        actions=_ranked(found, lambda e: str(e.action.action)),
        articles=_ranked([e for e in found if e.article_url], lambda e: e.article_url),
    )
