"""The services one process hosts around its Faust app: the API on the worker's loop, and the
order they start and stop in."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

import faust
import mode
import uvicorn


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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Faust's start-up spinner writes a backspace and a cursor escape code (ESC [?25h) even
        # to a file: when stdout is no terminal, no spinner (Faust then logs "Ready" instead).
        if not _is_terminal(self.stdout):
            self.spinner = None

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
