"""The knowledge base against the suite's running pipeline: /aide serves the articles without
signing in, every report line, group and dashboard problem links to its article on this ERO, and
a reader's « Cet article a-t-il été utile ? » is stored, counted for the vendor and limited per
client address."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from knowledge.articles import load_articles
from processors.catalog import load_catalog
from tests.support.accounts import operator
from tests.support.pipeline import Pipeline, wait_until

pytestmark = pytest.mark.pipeline


def _address() -> dict[str, str]:
    """A client address of its own (RFC 2544's range): its answers count against it alone."""
    return {"X-Forwarded-For": f"198.19.{random.randrange(256)}.{random.randrange(1, 255)}"}


def _article(pipeline: Pipeline, slug: str) -> dict[str, Any]:
    with operator(pipeline) as client:
        answer = client.get("/v1/admin/help/feedback")
    assert answer.status_code == 200, answer.text
    return next(a for a in answer.json()["articles"] if a["slug"] == slug)


def test_articles_are_pages_anyone_reads_in_french_or_english(pipeline: Pipeline) -> None:
    french = httpx.get(f"{pipeline.url}/aide/tva")
    assert french.status_code == 200
    assert french.headers["content-security-policy"].startswith("default-src 'self'")
    assert '<html lang="fr">' in french.text
    assert "Est-ce bloquant pour la synchronisation ?" in french.text
    assert "Cet article a-t-il été utile ?" in french.text
    english = httpx.get(f"{pipeline.url}/aide/tva", headers={"Accept-Language": "en-GB,fr;q=0.5"})
    assert '<html lang="en">' in english.text
    assert "Was this article helpful?" in english.text
    assert '<html lang="fr">' in httpx.get(f"{pipeline.url}/aide/tva?lang=fr").text
    stylesheet = french.text.split('<link rel="stylesheet" href="')[1].split('"')[0]
    assert httpx.get(f"{pipeline.url}{stylesheet}").status_code == 200


def test_the_index_searches_titles_and_text_without_accents(pipeline: Pipeline) -> None:
    listing = httpx.get(f"{pipeline.url}/aide")
    assert listing.text.count('<li><a href="/aide/') == len(load_articles())
    found = httpx.get(f"{pipeline.url}/aide", params={"q": "MODE SECURITE"})
    assert '<a href="/aide/mode-securite?lang=fr">' in found.text
    assert found.text.count('<li><a href="/aide/') < len(load_articles())
    nothing = httpx.get(f"{pipeline.url}/aide", params={"q": "<script>zzz</script>"})
    assert "<script>zzz" not in nothing.text
    assert "&lt;script&gt;zzz" in nothing.text
    assert "Aucun article ne correspond" in nothing.text


def test_an_unknown_article_is_a_404_page_in_both_languages(pipeline: Pipeline) -> None:
    missing = httpx.get(f"{pipeline.url}/aide/n-existe-pas")
    assert missing.status_code == 404
    assert "Article introuvable" in missing.text
    assert "Article not found" in missing.text
    assert 'role="search"' in missing.text
    answer = httpx.post(
        f"{pipeline.url}/v1/help/n-existe-pas/feedback", json={"helpful": True}, headers=_address()
    )
    assert answer.status_code == 404
    assert answer.json()["detail"]["code"] == "article_not_found"


def test_a_no_with_reasons_and_a_comment_is_stored_and_counted_for_the_vendor(
    pipeline: Pipeline,
) -> None:
    slug = "dossier-verrouille"
    before = _article(pipeline, slug)
    for _ in range(2):
        assert httpx.get(f"{pipeline.url}/aide/{slug}").status_code == 200
    comment = f"Le dossier était fermé {uuid.uuid4().hex[:6]}"
    answered = httpx.post(
        f"{pipeline.url}/v1/help/{slug}/feedback",
        json={"helpful": False, "reasons": ["unclear", "unsolved"], "comment": comment},
        headers=_address(),
    )
    assert answered.status_code == 201, answered.text
    yes = httpx.post(
        f"{pipeline.url}/v1/help/{slug}/feedback", json={"helpful": True}, headers=_address()
    )
    assert yes.status_code == 201, yes.text
    after = _article(pipeline, slug)
    assert after["views"] == before["views"] + 2
    assert after["votes"] == before["votes"] + 2
    assert after["helpful"] == before["helpful"] + 1
    counts = {r["code"]: r["count"] for r in after["reasons"]}
    was = {r["code"]: r["count"] for r in before["reasons"]}
    assert counts["unclear"] == was["unclear"] + 1
    assert counts["incorrect"] == was["incorrect"]
    assert after["comments"][0]["comment"] == comment
    assert after["comments"][0]["reasons"] == ["unclear", "unsolved"]
    assert [r["rule_id"] for r in after["rules"]] == load_catalog().slugs()[slug]


def test_a_no_needs_a_reason_and_the_vendor_page_needs_an_operator(pipeline: Pipeline) -> None:
    no_reason = httpx.post(
        f"{pipeline.url}/v1/help/tva/feedback", json={"helpful": False}, headers=_address()
    )
    assert no_reason.status_code == 422
    assert no_reason.json()["detail"][0]["loc"] == ["body", "reasons"]
    too_long = httpx.post(
        f"{pipeline.url}/v1/help/tva/feedback",
        json={"helpful": False, "reasons": ["unclear"], "comment": "x" * 2001},
        headers=_address(),
    )
    assert too_long.status_code == 422
    licence = pipeline.create_licence(f"aide {uuid.uuid4().hex[:6]}")
    with pipeline.client(licence.reader_token) as reader:
        assert reader.get("/v1/admin/help/feedback").status_code == 401
    assert httpx.get(f"{pipeline.url}/v1/admin/help/feedback").status_code == 401


def test_answers_are_limited_per_client_address(pipeline: Pipeline) -> None:
    address = _address()
    for _ in range(10):  # ERO_HELP_FEEDBACK_LIMIT_ADDRESS: 10/minute by default
        answer = httpx.post(
            f"{pipeline.url}/v1/help/cache/feedback", json={"helpful": True}, headers=address
        )
        assert answer.status_code == 201, answer.text
    refused = httpx.post(
        f"{pipeline.url}/v1/help/cache/feedback", json={"helpful": True}, headers=address
    )
    assert refused.status_code == 429
    assert refused.json()["detail"]["code"] == "rate_limited"
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    other = httpx.post(
        f"{pipeline.url}/v1/help/cache/feedback", json={"helpful": True}, headers=_address()
    )
    assert other.status_code == 201


def test_report_lines_groups_and_dashboard_problems_link_to_the_article(
    pipeline: Pipeline,
) -> None:
    licence = pipeline.create_licence(f"liens aide {uuid.uuid4().hex[:6]}")
    line = {
        "event_id": str(uuid.uuid4()),
        "connector_id": "aide-1",
        "occurred_at": datetime.now(UTC).isoformat(),
        "operation": "order.import",
        "status": "error",
        "message": "Le taux de TVA 5,5 % est introuvable dans la gestion commerciale",
    }
    with pipeline.client(licence.connector_key) as connector:
        assert connector.post("/v1/events", json=[line]).json()["accepted"] == 1
    article = f"{pipeline.url}/aide/tva"
    with pipeline.client(licence.reader_token) as reader:
        items = wait_until(lambda: reader.get("/v1/reports").json()["items"])
        assert items[0]["remediation"]["url"] == article
        # The groups' rollup part is committed a moment after the event's.
        groups = wait_until(lambda: reader.get("/v1/groups").json()["groups"])
        assert groups[0]["remediation"]["url"] == article
        top = reader.get("/v1/dashboard").json()["top_error_groups"]
        assert top[0]["remediation"]["url"] == article
    assert httpx.get(article).status_code == 200


def test_views_outlive_a_restart_and_links_may_point_at_the_vendors_base(tmp_path: Path) -> None:
    """The views still in memory are stored when the API stops; ERO_KB_BASE_URL makes the
    links the vendor's own knowledge base's, while /aide keeps serving ERO's articles."""
    own = Pipeline(tmp_path / "var", ERO_KB_BASE_URL="https://aide.vendor.example/kb")
    try:
        own.start()
        for _ in range(3):
            assert httpx.get(f"{own.url}/aide/licence").status_code == 200
        demo = own.demo_licence
        line = {
            "connector_id": "c1",
            "occurred_at": datetime.now(UTC).isoformat(),
            "operation": "sync",
            "status": "error",
            "code": "LICENSE_EXPIRED",
            "message": "Licence expirée",
        }
        with own.client(demo.connector_key) as connector:
            assert connector.post("/v1/events", json=[line]).json()["accepted"] == 1
        with own.client(demo.reader_token) as reader:
            items = wait_until(lambda: reader.get("/v1/reports").json()["items"])
        assert items[0]["remediation"]["url"] == "https://aide.vendor.example/kb/licence"
        assert own.stop() == 0
        own.start()
        assert _article(own, "licence")["views"] == 3
        assert own.stop() == 0
    finally:
        own.ensure_stopped()
