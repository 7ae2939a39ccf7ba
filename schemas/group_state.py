"""An error group's workflow, as a licence's members set it: resolved, ignored (for a while or
until more events come), reopened, commented. Each change is one revision of the group's
control entity (Entity.ERROR_GROUP), so the revisions are its history."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from schemas.control import Document

MAX_COMMENT = 2000

StoredState = Literal["open", "resolved", "ignored"]
ShownState = Literal["open", "resolved", "ignored", "regressed"]
"""`regressed`: resolved, then an event came after the resolution (open again)."""
GroupChange = Literal["resolved", "ignored", "reopened", "commented"]


class GroupStateDoc(Document):
    fingerprint: str
    state: StoredState
    since: datetime
    """When the state was set: the resolution or the start of the ignoring."""
    ignore_until: datetime | None = None
    ignore_events: int | None = None
    """Ignored until more than this many events of the group occur after `since`."""
    change: GroupChange
    comment: str | None = None
    """The text of a `commented` change."""
