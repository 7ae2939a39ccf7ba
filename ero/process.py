"""The services one process hosts around its Faust app: the API on the worker's loop, the
order they start and stop in, and the deadline of a stop."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import faust
import mode
import structlog
import uvicorn

log = structlog.get_logger(__name__)

EXIT_NOT_DRAINED = 3
"""A stop that gave up: the drain or the agents did not finish in time (the log line says what
was left). With a durable broker nothing is lost: uncommitted offsets are consumed again."""


class StopDeadline:
    """Bounds a stop in time whatever the state of the event loop: armed by the first stop
    signal, it ends the process from a thread of its own once `seconds` have passed."""

    def __init__(self, seconds: float, not_drained: Callable[[], Mapping[str, Any]]) -> None:
        self.seconds = seconds
        self._not_drained = not_drained
        self._timer: threading.Timer | None = None

    def arm(self) -> None:
        if self._timer is None:
            self._timer = threading.Timer(self.seconds, self._expire)
            self._timer.daemon = True
            self._timer.start()

    def _expire(self) -> None:
        log.critical(
            "stop_timed_out",
            timeout_seconds=self.seconds,
            not_drained=self._not_drained(),
            hint="the agents did not stop in time; what they had not committed stays in the "
            "log and is consumed again at the next start (with a durable broker)",
        )
        logging.shutdown()  # flush the line before leaving
        os._exit(EXIT_NOT_DRAINED)


class ApiService(mode.Service):
    """Serves the HTTP API on the worker's event loop (the embedded, one-process deployment)."""

    def __init__(self, server: uvicorn.Server, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._server = server
        self._serving: asyncio.Task[None] | None = None

    async def on_start(self) -> None:
        self._serving = asyncio.ensure_future(self._server.serve())
        while not self._server.started:
            if self._serving.done():
                config = self._server.config
                raise RuntimeError(
                    f"the API could not listen on {config.host}:{config.port} "
                    "(port in use? set ERO_API_PORT)"
                )
            await asyncio.sleep(0.05)

    async def on_stop(self) -> None:
        if self._serving is not None:
            self._server.should_exit = True
            await self._serving


class PipelineWorker(faust.Worker):
    """Faust's worker, with extra services started after the app and stopped before it.

    Stopping the API first means no event is accepted once the agents start shutting down.
    """

    def __init__(self, *args: Any, deadline: StopDeadline | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline = deadline
        # Faust's start-up spinner writes a backspace and a cursor escape code (ESC [?25h) even
        # to a file: when stdout is no terminal, no spinner (Faust then logs "Ready" instead).
        if not _is_terminal(self.stdout):
            self.spinner = None

    def _schedule_shutdown(self, received: signal.Signals) -> None:
        # mode's stop waits for every service without a bound: a stuck agent kept Ctrl-C
        # waiting for ever.
        if self._deadline is not None:
            self._deadline.arm()
        super()._schedule_shutdown(received)

    def on_init_dependencies(self) -> Iterable[mode.ServiceT]:
        *services, app = super().on_init_dependencies()
        return [app, *services]

    def execute(self) -> None:
        # Faust ends with SystemExit; a clean stop is exit code 0 and must not skip our cleanup.
        try:
            self.execute_from_commandline()
        except SystemExit as exc:
            if exc.code not in (0, None):
                raise


def _is_terminal(stream: Any) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty is not None and isatty())
