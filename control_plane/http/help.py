"""The knowledge base's routes: a reader's « Cet article a-t-il été utile ? » (anonymous,
limited per client address) and what the vendor's operators read of it per article."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from pydantic import BaseModel

from control_plane.help import ArticleFeedback, FeedbackReader, ViewCounter, feedback_event
from control_plane.http.common import COMMAND, Bus, StorableBody, commit
from infra.http_errors import NotFound, TooManyRequests, errors, invalid
from infra.http_state import ClickHouseDep, from_state
from infra.rate_limit import WriteLimiter
from knowledge.articles import MAX_SLUG, load_articles
from licences.http import OperatorPrincipal
from processors.catalog import load_catalog
from processors.catalog_store import CatalogStore
from schemas.help import FeedbackDoc, FeedbackRequest

FEEDBACK = "help_feedback"
"""The kind of write ERO_HELP_FEEDBACK_LIMIT_ADDRESS limits, per client address."""

router = APIRouter(tags=["knowledge base"], dependencies=[StorableBody])

Limiter = Annotated[WriteLimiter, Depends(from_state("help_limiter", WriteLimiter))]
Views = Annotated[ViewCounter, Depends(from_state("help_views", ViewCounter))]


class FeedbackRecorded(BaseModel):
    feedback_id: str


class HelpFeedback(BaseModel):
    articles: list[ArticleFeedback]


def _article_not_found(slug: str) -> NotFound:
    return NotFound(
        "article_not_found",
        f"Aucun article {slug[:MAX_SLUG]!r} dans la base de connaissances.",
        f"no article {slug[:MAX_SLUG]!r} in the knowledge base",
    )


@router.post(
    "/v1/help/{slug}/feedback",
    status_code=status.HTTP_201_CREATED,
    response_model=FeedbackRecorded,
    responses={**COMMAND, **errors(NotFound, TooManyRequests)},
    summary="« Cet article a-t-il été utile ? »: a reader's answer, anonymous",
)
async def give_feedback(
    slug: str,
    body: FeedbackRequest,
    request: Request,
    response: Response,
    bus: Bus,
    limiter: Limiter,
) -> FeedbackRecorded:
    """No credential: anyone reading the article may answer. `reasons` (at least one) with
    `helpful` false only. Limited per client address (ERO_HELP_FEEDBACK_LIMIT_ADDRESS)."""
    address = request.client.host if request.client else "unknown"
    wait = limiter.hit(FEEDBACK, "", address)
    if wait is not None:
        raise TooManyRequests(
            "rate_limited",
            f"Trop d’envois depuis cette adresse : réessayez dans {int(wait)} s.",
            f"Too many answers from this address: retry in {int(wait)} s.",
            headers={"Retry-After": str(int(wait))},
        )
    if slug not in load_articles():
        raise _article_not_found(slug)
    if not body.helpful and not body.reasons:
        raise invalid("body", "reasons", "au moins une raison / at least one reason")
    doc = FeedbackDoc(
        feedback_id=str(uuid.uuid4()),
        slug=slug,
        helpful=body.helpful,
        reasons=[] if body.helpful else list(dict.fromkeys(body.reasons)),
        comment=body.comment,
        lang=body.lang,
        given_at=datetime.now(UTC),
    )
    await commit(bus, [feedback_event(doc)], response)
    return FeedbackRecorded(feedback_id=doc.feedback_id)


@router.get(
    "/v1/admin/help/feedback",
    response_model=HelpFeedback,
    summary="Per article: views, votes, helpful ratio, reasons, comments, linking groups",
)
async def feedback(_: OperatorPrincipal, clickhouse: ClickHouseDep, views: Views) -> HelpFeedback:
    """Every article (a bounded set), its readers' answers, the rules that link to it (of the
    newest catalog ClickHouse holds) and the fleet's error groups of those rules."""
    catalog = await asyncio.to_thread(CatalogStore(clickhouse).latest) or load_catalog()
    articles = await FeedbackReader(clickhouse).per_article(
        load_articles(), catalog, views.pending()
    )
    return HelpFeedback(articles=articles)
