"""Serves the web interface at `/` and its assets under a content-addressed prefix.

Assets live under `/assets/<hash of every asset>/`, so a browser may keep them for a year
(`immutable`): any change to any file gives new URLs. The ES modules import each other by
relative paths, which resolve under the same prefix, so no build step rewrites them. The page
itself is revalidated on every load, so it always names the current prefix.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from fastapi import FastAPI, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import Scope

STATIC = Path(__file__).parent / "static"
ASSET_ROOT_MARK = "{{ASSET_ROOT}}"

# The page only talks to its own origin; the bearer token it holds must not leak to other
# scripts, frames or hosts.
PAGE_HEADERS = {
    "Cache-Control": "no-cache",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
        "form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@cache
def asset_version() -> str:
    digest = hashlib.sha256()
    for path in sorted(STATIC.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(STATIC).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@cache
def _page(name: str) -> bytes:
    html = (Path(__file__).parent / name).read_text(encoding="utf-8")
    return html.replace(ASSET_ROOT_MARK, f"/assets/{asset_version()}").encode()


class ImmutableAssets(StaticFiles):
    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
            response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def mount_web(app: FastAPI) -> None:
    @app.get("/", include_in_schema=False)
    async def index() -> Response:
        return Response(
            _page("index.html"), media_type="text/html; charset=utf-8", headers=PAGE_HEADERS
        )

    # The vendor's console: the same assets and session, pages of its own.
    @app.get("/console", include_in_schema=False)
    async def console() -> Response:
        return Response(
            _page("console.html"), media_type="text/html; charset=utf-8", headers=PAGE_HEADERS
        )

    # Compressed here only: the JSON API and its streamed exports keep their own encoding.
    assets = GZipMiddleware(ImmutableAssets(directory=STATIC), minimum_size=1024)
    app.mount(f"/assets/{asset_version()}", assets, name="web-assets")
