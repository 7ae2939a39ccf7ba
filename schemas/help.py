"""The knowledge base's feedback: « Cet article a-t-il été utile ? » and the articles' views.

Both are control-plane entities (schemas/control.py) under the licence id KNOWLEDGE_BASE: a
reader's answer is anonymous and belongs to no licence.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Final, Literal

from pydantic import Field, StringConstraints

from schemas.control import Document, Request

KNOWLEDGE_BASE = "@help"
"""The licence id of the knowledge base's entities; no licence id can take it (UUIDs)."""

MAX_COMMENT = 2000


class Reason(StrEnum):
    INCORRECT = "incorrect"
    UNCLEAR = "unclear"
    INCOMPLETE = "incomplete"
    UNSOLVED = "unsolved"


# French, English: the vendor's own help centre's words.
REASON_LABELS: Final[dict[Reason, tuple[str, str]]] = {
    Reason.INCORRECT: ("Les informations sont incorrectes", "The information is wrong"),
    Reason.UNCLEAR: ("Les informations ne sont pas claires", "The information is not clear"),
    Reason.INCOMPLETE: ("Il manque des informations", "Information is missing"),
    Reason.UNSOLVED: ("Cela ne résout pas mon problème", "It does not solve my problem"),
}

Comment = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_COMMENT)]


class FeedbackRequest(Request):
    helpful: bool
    reasons: list[Reason] = Field(
        [], max_length=len(Reason), description="Why not (with helpful false): at least one."
    )
    comment: Comment = ""
    lang: Literal["fr", "en"] = Field("fr", description="The language the article was read in.")


class FeedbackDoc(Document):
    feedback_id: str
    slug: str
    helpful: bool
    reasons: list[Reason]
    comment: str
    lang: str
    given_at: datetime


class ViewsDoc(Document):
    """Views of each article counted by one API process since its previous count was stored."""

    views: dict[str, int]
    counted_until: datetime
