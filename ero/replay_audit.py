"""Dead-letter replays in the licences' audit (dead_letters.http.ReplayAudit on the control
bus): each letter an operator replays, under its licence, naming the operator."""

from __future__ import annotations

from collections.abc import Sequence

from control_plane.bus import ControlBus, new_event
from dead_letters.desk import LetterReplayOutcome
from dead_letters.store import first_reason
from schemas.control import DeadLetterReplayDoc, Entity


class ControlReplayAudit:
    def __init__(self, bus: ControlBus) -> None:
        self._bus = bus

    async def replayed(self, actor: str, outcomes: Sequence[LetterReplayOutcome]) -> None:
        # Visible in the audit when the answer is (within the bus's timeout, as any command).
        await self._bus.commit(
            [
                new_event(
                    licence_id=outcome.licence_id,
                    kind="dead_letter.replayed",
                    actor=actor,
                    entity=Entity.DEAD_LETTER,
                    entity_id=str(outcome.letter_id),
                    after=DeadLetterReplayDoc(
                        letter_id=str(outcome.letter_id),
                        replayed=outcome.replayed,
                        events=len(outcome.event_ids),
                        reason=first_reason(outcome.reasons),
                    ),
                    status="replayed" if outcome.replayed else "refused",
                )
                for outcome in outcomes
            ]
        )
