"""What every HTTP request and response of the app passes through: a bounded body, the security
headers, and the one 422 handler (infra/http_errors.py). Installed once by the composition root.

Both middlewares are plain ASGI: they never buffer a response, so streamed exports stream.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from infra.http_errors import ContentTooLarge, install_error_handlers

# Sent with every response that does not set its own (the web page and the API docs set a
# Content-Security-Policy of their own, stricter or looser as their scripts need).
SECURITY_HEADERS: Mapping[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
}


@dataclass(frozen=True)
class BodyLimits:
    max_bytes: int
    """What a request body may weigh (ERO_MAX_BODY_BYTES)."""
    by_path: Mapping[str, int] = field(default_factory=dict)
    """Paths whose bodies are bounded otherwise (the event gateway: ERO_MAX_REQUEST_BYTES)."""

    def of(self, path: str) -> int:
        return self.by_path.get(path, self.max_bytes)


def _too_large(limit: int) -> ContentTooLarge:
    kib = max(1, limit // 1024)
    return ContentTooLarge(
        "body_too_large",
        f"Requête trop volumineuse : {kib} Kio au plus.",
        f"Request body too large: at most {kib} KiB.",
    )


class BodyLimit:
    """Refuses (413) a body larger than its path's limit: at once when Content-Length says so,
    else as soon as the bytes received pass it (the route, reading its body, is interrupted by
    an HTTPException that the app's handler answers)."""

    def __init__(self, app: ASGIApp, limits: BodyLimits) -> None:
        self.app = app
        self._limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limits.of(scope["path"])
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            error = _too_large(limit)
            await JSONResponse({"detail": error.detail}, error.status_code)(scope, receive, send)
            return
        received = 0

        async def bounded() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _too_large(limit)
            return message

        await self.app(scope, bounded, send)


class SecurityHeaders:
    """Adds SECURITY_HEADERS to every response that does not set them itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, with_headers)


def install_http_guards(app: FastAPI, limits: BodyLimits) -> None:
    """Called once by the root on its new app, before any other middleware is added: BodyLimit
    must sit inside any `@app.middleware` one (Starlette's BaseHTTPMiddleware reads the body
    in a task group, which would turn the 413 into an ExceptionGroup, answered 400)."""
    install_error_handlers(app)
    app.add_middleware(BodyLimit, limits=limits)
    app.add_middleware(SecurityHeaders)  # around BodyLimit: its headers reach the 413s too
