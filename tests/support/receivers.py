"""Real local receivers for what ERO sends out: an SMTP server (aiosmtpd) and an HTTP webhook.

Both listen on 127.0.0.1 on a free port and keep what they received, in order.
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self

import orjson
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from infra.broker import free_port

TLS = Path(__file__).parent / "tls"
CERTIFICATE = TLS / "localhost.pem"
"""Self-signed, for 127.0.0.1 and localhost (valid until 2126): a client trusting it only
(SSL_CERT_FILE) checks the server's certificate for real."""


def tls_context() -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(CERTIFICATE, TLS / "localhost.key")
    return context


class _Mailbox:
    def __init__(self, answers: Sequence[str]) -> None:
        self.messages: list[EmailMessage] = []
        self.attempts = 0
        self._answers = list(answers)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.attempts += 1
        if self._answers:
            return self._answers.pop(0)
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 Message accepted for delivery"


class _Login:
    def __init__(self, username: str, password: str) -> None:
        self._expected = (username.encode(), password.encode())

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        accepted = isinstance(auth_data, LoginPassword) and (
            (auth_data.login, auth_data.password) == self._expected
        )
        return AuthResult(success=accepted, handled=False)


class SmtpServer:
    """`answers`: what the first DATA commands are answered (then 250, and the message is
    kept). `tls`: STARTTLS is required before anything else. `login`: (user, password) must
    log in before sending."""

    def __init__(
        self,
        answers: Sequence[str] = (),
        tls: ssl.SSLContext | None = None,
        login: tuple[str, str] | None = None,
    ) -> None:
        self.host = "127.0.0.1"
        self.port = free_port()
        self._mailbox = _Mailbox(answers)
        required: dict[str, Any] = {}
        if tls is not None:
            required |= {"tls_context": tls, "require_starttls": True}
        if login is not None:
            required |= {"authenticator": _Login(*login), "auth_required": True}
        self._controller = Controller(self._mailbox, hostname=self.host, port=self.port, **required)

    @property
    def messages(self) -> list[EmailMessage]:
        return self._mailbox.messages

    @property
    def attempts(self) -> int:
        """DATA commands received, answered as scripted or accepted."""
        return self._mailbox.attempts

    @contextmanager
    def running(self) -> Iterator[SmtpServer]:
        self._controller.start()
        try:
            yield self
        finally:
            self._controller.stop()


class _Served:
    """An HTTP server on a loopback port, served from a thread while `running`."""

    _server: ThreadingHTTPServer

    @contextmanager
    def running(self) -> Iterator[Self]:
        thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()


class WebhookReceiver(_Served):
    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                received.append(orjson.loads(self.rfile.read(length)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/tickets"


class EventsReceiver(_Served):
    """An HTTP server in place of ERO's gateway that answers every POST with `status` (and an
    ERO-like JSON body): keeps each request's lines, in order."""

    def __init__(self, status: int) -> None:
        self.bodies: list[list[dict[str, Any]]] = []
        bodies = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                bodies.append(orjson.loads(self.rfile.read(length)))
                answer = orjson.dumps({"detail": f"scripted {status}"})
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"


class HookReceiver(_Served):
    """An alert webhook: keeps each POST's path, headers and raw body (a signature is checked
    over the bytes received); answers `status` (settable, to make deliveries fail)."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                status = receiver.status
                if status < 300:
                    receiver.requests.append((self.path, dict(self.headers.items()), body))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def bodies(self, path: str) -> list[dict[str, Any]]:
        return [orjson.loads(body) for at, _, body in list(self.requests) if at == path]
