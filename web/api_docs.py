"""The OpenAPI explorer at `/docs`, served with its own assets: nothing loaded from a CDN.

`/docs` lives on the origin that holds the readers' and connectors' tokens (the browser keeps
the one typed into "Authorize"): a script fetched from a third party there could read them. So
Swagger UI comes from swagger_ui/ (swagger-ui-dist 5.35.0 from the npm registry, Apache-2.0,
see swagger_ui/LICENSE), under a content-addressed prefix like the web assets, and the page's
Content-Security-Policy lets only those files and its one inline start-up script run.
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import cache
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

from web.serve import ImmutableAssets

ASSETS = Path(__file__).parent / "swagger_ui"
DOCS_PATH = "/docs"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


@cache
def _assets_root() -> str:
    digest = hashlib.sha256()
    for path in sorted(ASSETS.iterdir()):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return f"/docs-assets/{digest.hexdigest()[:16]}"


def _page(openapi_url: str, title: str) -> HTMLResponse:
    root = _assets_root()
    page = get_swagger_ui_html(
        openapi_url=openapi_url,
        title=title,
        swagger_js_url=f"{root}/swagger-ui-bundle.js",
        swagger_css_url=f"{root}/swagger-ui.css",
        swagger_favicon_url=f"{root}/favicon-32x32.png",
        # Its default sends the spec's URL to validator.swagger.io for a badge.
        swagger_ui_parameters={"validatorUrl": None},
    )
    body = bytes(page.body)
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"
        for script in _INLINE_SCRIPT.findall(body.decode())
    )
    return HTMLResponse(
        body,
        headers={
            "Cache-Control": "no-cache",
            # Swagger UI sets inline style attributes; it runs no inline script but ours.
            "Content-Security-Policy": (
                f"default-src 'none'; script-src 'self' {hashes}; "
                "style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; "
                "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
            ),
        },
    )


def mount_api_docs(app: FastAPI) -> None:
    """For an app made with `docs_url=None` (FastAPI's own page loads Swagger UI from a CDN)."""
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get(DOCS_PATH, include_in_schema=False)
    async def docs() -> HTMLResponse:
        return _page(openapi_url, f"{app.title} — API")

    app.mount(_assets_root(), ImmutableAssets(directory=ASSETS), name="docs-assets")
