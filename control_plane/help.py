"""The knowledge base's feedback and views, as control-plane commands, and what the vendor
reads of them per article.

Feedback is one command per answer (`help.feedback`), acked by the brokers and projected like
any other: durable once answered. Views are cheap on purpose: each API process counts them in
memory and appends one `help.viewed` command holding every article's count at most every
FLUSH_SECONDS (and when it stops), so a crash loses at most that long of views, never feedback.
A count that cannot be appended stays in memory for the next try.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from pydantic import BaseModel, Field

from control_plane.bus import ControlBus, new_event
from infra.clickhouse import ClickHouse
from infra.log_producer import LogUnavailable
from knowledge.articles import Article
from knowledge.links import OWN_LINKS
from processors.catalog import Catalog
from schemas.control import ControlEvent, Entity
from schemas.help import KNOWLEDGE_BASE, REASON_LABELS, FeedbackDoc, Reason, ViewsDoc

log = structlog.get_logger(__name__)

FLUSH_SECONDS = 60.0
RECENT_COMMENTS = 10
FLEET_DAYS = 7
_REASONS = frozenset(reason.value for reason in Reason)


class ViewCounter:
    """`viewed` is called on the event loop by every article page: memory only."""

    def __init__(self, bus: ControlBus) -> None:
        self._bus = bus
        self._pending: Counter[str] = Counter()

    def viewed(self, slug: str) -> None:
        self._pending[slug] += 1  # slugs are the articles' (web/help.py): a bounded set

    def pending(self) -> Counter[str]:
        return Counter(self._pending)

    async def flush(self) -> None:
        if not self._pending:
            return
        counted, self._pending = self._pending, Counter()
        event = new_event(
            licence_id=KNOWLEDGE_BASE,
            kind="help.viewed",
            actor="system",
            entity=Entity.HELP_VIEWS,
            entity_id=str(uuid.uuid4()),
            after=ViewsDoc(views=dict(counted), counted_until=datetime.now(UTC)),
        )
        try:
            await self._bus.send([event])
        except LogUnavailable:
            self._pending.update(counted)
            log.warning("help_views_not_appended", articles=len(counted))

    async def run(self) -> None:
        """Until cancelled; then the caller flushes once more."""
        while True:
            await asyncio.sleep(FLUSH_SECONDS)
            await self.flush()


class ReasonCount(BaseModel):
    code: Reason
    fr: str
    en: str
    count: int


class Comment(BaseModel):
    given_at: datetime
    comment: str
    reasons: list[Reason]
    lang: str


class LinkingRule(BaseModel):
    rule_id: str
    hint_fr: str
    hint_en: str


class ArticleFeedback(BaseModel):
    slug: str
    title_fr: str
    title_en: str
    url: str = Field(description="The article on this ERO (relative).")
    views: int
    votes: int
    helpful: int
    helpful_ratio: float | None = Field(description="helpful / votes; null without votes.")
    reasons: list[ReasonCount]
    comments: list[Comment] = Field(
        max_length=RECENT_COMMENTS, description=f"The {RECENT_COMMENTS} newest with a comment."
    )
    rules: list[LinkingRule] = Field(description="The catalog's rules linking to the article.")
    fleet_groups: int = Field(description=f"Error groups seen linking to it, last {FLEET_DAYS} d.")
    fleet_licences: int
    fleet_events: int


_FEEDBACK = """
    SELECT JSONExtractString(body, 'slug') AS slug,
           JSONExtractBool(body, 'helpful') AS helpful,
           JSONExtract(body, 'reasons', 'Array(String)') AS reasons,
           JSONExtractString(body, 'comment') AS comment,
           JSONExtractString(body, 'lang') AS lang,
           updated_at
    FROM control_entities FINAL
    WHERE licence_id = {licence:String} AND entity = {feedback:String}
"""


class FeedbackReader:
    """Aggregates read with FINAL (a replayed command is one row); each list is bounded by the
    articles, the reasons and RECENT_COMMENTS."""

    def __init__(self, clickhouse: ClickHouse) -> None:
        self._clickhouse = clickhouse

    async def _rows(self, sql: str, **parameters: Any) -> list[tuple[Any, ...]]:
        base = {
            "licence": KNOWLEDGE_BASE,
            "feedback": Entity.HELP_FEEDBACK.value,
            "views": Entity.HELP_VIEWS.value,
        }
        return await self._clickhouse.arows(sql, {**base, **parameters})

    async def per_article(
        self, articles: dict[str, Article], catalog: Catalog, pending_views: Counter[str]
    ) -> list[ArticleFeedback]:
        views = await self._views() + pending_views
        votes = await self._votes()
        reasons = await self._reasons()
        comments = await self._comments()
        fleet = await self._fleet(catalog)
        linking = catalog.slugs()
        out = []
        for slug, article in sorted(articles.items()):
            n, yes = votes.get(slug, (0, 0))
            counted = reasons.get(slug, Counter())
            groups, licences, events = fleet.get(slug, (0, 0, 0))
            out.append(
                ArticleFeedback(
                    slug=slug,
                    title_fr=article.title("fr"),
                    title_en=article.title("en"),
                    url=OWN_LINKS.url(slug),
                    views=views[slug],
                    votes=n,
                    helpful=yes,
                    helpful_ratio=yes / n if n else None,
                    reasons=[
                        ReasonCount(code=r, fr=fr, en=en, count=counted[r.value])
                        for r, (fr, en) in REASON_LABELS.items()
                    ],
                    comments=comments.get(slug, []),
                    rules=[_linking(catalog, rule_id) for rule_id in linking.get(slug, [])],
                    fleet_groups=groups,
                    fleet_licences=licences,
                    fleet_events=events,
                )
            )
        return out

    async def _views(self) -> Counter[str]:
        rows = await self._rows(
            """
            SELECT kv.1, sum(kv.2) FROM control_entities FINAL
            ARRAY JOIN JSONExtractKeysAndValues(body, 'views', 'UInt64') AS kv
            WHERE licence_id = {licence:String} AND entity = {views:String}
            GROUP BY kv.1
            """
        )
        return Counter({slug: int(count) for slug, count in rows})

    async def _votes(self) -> dict[str, tuple[int, int]]:
        """Per slug: (votes, helpful votes)."""
        rows = await self._rows(
            f"SELECT slug, count(), countIf(helpful) FROM ({_FEEDBACK}) GROUP BY slug"
        )
        return {slug: (int(n), int(yes)) for slug, n, yes in rows}

    async def _reasons(self) -> dict[str, Counter[str]]:
        reasons: dict[str, Counter[str]] = {}
        for slug, reason, n in await self._rows(
            f"SELECT slug, reason, count() FROM ({_FEEDBACK}) ARRAY JOIN reasons AS reason "
            "GROUP BY slug, reason"
        ):
            reasons.setdefault(slug, Counter())[reason] = int(n)
        return reasons

    async def _comments(self) -> dict[str, list[Comment]]:
        comments: dict[str, list[Comment]] = {}
        for slug, text, given, why, lang in await self._rows(
            f"SELECT slug, comment, updated_at, reasons, lang FROM ({_FEEDBACK}) "
            "WHERE comment != '' ORDER BY updated_at DESC LIMIT {n:UInt32} BY slug",
            n=RECENT_COMMENTS,
        ):
            known = [Reason(r) for r in why if r in _REASONS]
            comments.setdefault(slug, []).append(
                Comment(given_at=given, comment=text, reasons=known, lang=lang)
            )
        return comments

    async def _fleet(self, catalog: Catalog) -> dict[str, tuple[int, int, int]]:
        """Per slug: the fleet's error groups, licences and events of the last FLEET_DAYS whose
        rule names it (read from the per-minute rollup, as the fleet's groups are)."""
        pairs = [(rule_id, slug) for slug, ids in catalog.slugs().items() for rule_id in ids]
        rows = await self._rows(
            """
            SELECT transform(rule_id, {ids:Array(String)}, {slugs:Array(String)}, '') AS slug,
                   uniqExact(fingerprint), uniqExact(licence_id), sum(events)
            FROM fingerprint_minutes
            WHERE minute >= {since:DateTime} AND rule_id IN {ids:Array(String)}
            GROUP BY slug
            """,
            ids=[rule_id for rule_id, _ in pairs],
            slugs=[slug for _, slug in pairs],
            since=datetime.now(UTC) - timedelta(days=FLEET_DAYS),
        )
        return {slug: (int(g), int(li), int(e)) for slug, g, li, e in rows}


def _linking(catalog: Catalog, rule_id: str) -> LinkingRule:
    """A rule of the catalog, its `fallback.<origin>` or its `summary` (Catalog.slugs names
    them)."""
    found = catalog.named(rule_id)
    return LinkingRule(rule_id=rule_id, hint_fr=found.hint_fr, hint_en=found.hint_en)


def feedback_event(doc: FeedbackDoc) -> ControlEvent:
    return new_event(
        licence_id=KNOWLEDGE_BASE,
        kind="help.feedback",
        actor="anonymous",
        entity=Entity.HELP_FEEDBACK,
        entity_id=doc.feedback_id,
        after=doc,
    )
