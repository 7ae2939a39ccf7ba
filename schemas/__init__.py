"""The pipeline's data contracts, defined once: what connectors send, what each topic carries."""

from schemas.classified import (
    Classification,
    ClassifiedBatch,
    ClassifiedEvent,
    Level,
    Origin,
    Remediation,
)
from schemas.dead_letter import DeadLetter, FieldError
from schemas.sync_event import RawBatch, SyncEvent

__all__ = [
    "Classification",
    "ClassifiedBatch",
    "ClassifiedEvent",
    "DeadLetter",
    "FieldError",
    "Level",
    "Origin",
    "RawBatch",
    "Remediation",
    "SyncEvent",
]
