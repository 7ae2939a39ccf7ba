"""Where a remediation's knowledge-base link points: ERO's own /aide pages, or a vendor's
external knowledge base (ERO_KB_BASE_URL), resolved once at start."""

from __future__ import annotations

from dataclasses import dataclass

OWN_PATH = "/aide"


@dataclass(frozen=True)
class KnowledgeLinks:
    base_url: str = OWN_PATH
    """Articles are `<base_url>/<slug>`: `<ERO_PUBLIC_URL>/aide` by default."""

    @classmethod
    def resolve(cls, public_url: str, external: str | None) -> KnowledgeLinks:
        return cls(external.rstrip("/") if external else f"{public_url.rstrip('/')}{OWN_PATH}")

    def url(self, slug: str) -> str:
        return f"{self.base_url}/{slug}"


OWN_LINKS = KnowledgeLinks()
"""ERO's own articles, relative to whatever origin serves them (tests, tools)."""
