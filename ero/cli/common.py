"""What every `ero` command module shares: the one-line error, the settings, the running
pipeline and its API, operator requests, argument types.

A leaf: it imports no command module. It stays light (no FastAPI, Faust or chdb), so that
`ero --help` is fast.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NoReturn, TypeAlias

import httpx
import orjson
from pydantic import ValidationError

from ero.secrets import operator_token
from ero.settings import Settings

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


class CliError(Exception):
    """A failure the user can act on, explained in one line (`ero: error: ...`, exit code 2)."""


class Parser(argparse.ArgumentParser):
    """Usage mistakes are one line too, naming where the help is."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def read_settings() -> Settings:
    """The `ERO_*` settings; a bad value is one line naming the variable."""
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        field = "ERO_" + str(first["loc"][0]).upper() if first["loc"] else "ERO_*"
        raise CliError(f"invalid setting {field}: {first['msg']}") from exc


@dataclass(frozen=True)
class RunningPipeline:
    """What `ero run` wrote into its data dir's runtime file, while its process lives."""

    pid: int
    api_url: str
    kafka_bootstrap: str | None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def runtime_state(settings: Settings) -> tuple[RunningPipeline | None, str]:
    """The pipeline running with the configured data dir, if any, and else why none (for
    messages: "no runtime.json", "stale runtime.json: pid 123 is not running")."""
    path = settings.runtime_file
    try:
        loaded = orjson.loads(path.read_bytes())
        running = RunningPipeline(
            pid=int(loaded["pid"]),
            api_url=str(loaded["api_url"]),
            kafka_bootstrap=loaded.get("kafka_bootstrap"),
        )
    except FileNotFoundError:
        return None, "no runtime.json"
    except (OSError, ValueError, KeyError, TypeError):
        return None, "unreadable runtime.json"
    if not _alive(running.pid):
        return None, f"stale runtime.json: pid {running.pid} is not running"
    return running, f"pid {running.pid}"


def running_pipeline(settings: Settings) -> RunningPipeline | None:
    return runtime_state(settings)[0]


def data_dir(settings: Settings) -> str:
    return str(settings.data_dir.resolve())


def api_url(settings: Settings) -> str:
    """The API of the pipeline running with this data dir, else the configured one
    (ERO_API_URL, or ERO_API_HOST:ERO_API_PORT)."""
    running = running_pipeline(settings)
    return running.api_url if running is not None else settings.resolved_api_url


def error_detail(response: httpx.Response) -> str:
    """An error answer's `detail` in one line."""
    try:
        detail: Any = response.json().get("detail", response.text)
    except ValueError:
        detail = response.text
    return detail_text(detail)


def detail_text(detail: Any) -> str:
    """An error's `detail` in one line: its English text, or a 422's field errors joined."""
    if isinstance(detail, list):
        detail = "; ".join(_field_error(error) for error in detail)
    elif isinstance(detail, dict) and "en" in detail:
        detail = detail["en"]
    return " ".join(str(detail).split())


def _field_error(error: Any) -> str:
    if not isinstance(error, dict):
        return str(error)
    where = ".".join(str(part) for part in error.get("loc", ())[1:])
    return f"{where}: {error.get('msg', '')}" if where else str(error.get("msg", ""))


def operator_request(
    settings: Settings, method: str, path: str, body: bytes | None = None
) -> httpx.Response | None:
    """Call the pipeline's API as the operator; None when no API answers and no pipeline runs
    with this data dir (the caller may then work on the data dir itself)."""
    url = api_url(settings)
    try:
        response = httpx.request(
            method,
            f"{url}{path}",
            content=body,
            headers={
                "Authorization": f"Bearer {operator_token(settings)}",
                "Content-Type": "application/json",
            },
            timeout=30,
        )
    except httpx.ConnectError:
        running = running_pipeline(settings)
        if running is None:
            return None
        # Its process owns the data dir: working on it from here would fail, or race it.
        raise CliError(
            f"the pipeline of data dir {data_dir(settings)} (pid {running.pid}) does not answer "
            f"at {url}: wait until it has started, or stop it"
        ) from None
    if response.is_error:
        hint = ""
        if response.status_code in (401, 403) and path.startswith("/v1/admin/"):
            hint = (
                f" (the operator token of data dir {data_dir(settings)} is not this API's: "
                "set ERO_DATA_DIR to the pipeline's, or ERO_OPERATOR_TOKEN)"
            )
        raise CliError(
            f"the API at {url} refused ({response.status_code}): {error_detail(response)}{hint}"
        )
    return response


def no_api(settings: Settings) -> CliError:
    return CliError(
        f"no ERO API answers at {api_url(settings)}: start `ero run` "
        f"(with ERO_DATA_DIR={settings.data_dir}), or set ERO_DATA_DIR / ERO_API_URL to the "
        "running pipeline's"
    )


def running_api_request(
    settings: Settings, method: str, path: str, body: bytes | None = None
) -> httpx.Response:
    """An operator request to the API that must be running (it owns the change)."""
    response = operator_request(settings, method, path, body)
    if response is None:
        raise no_api(settings)
    return response


def require_api(settings: Settings) -> str:
    """The URL of an API that answers now (its /healthz), in a second or less; else CliError."""
    url = api_url(settings)
    try:
        httpx.get(f"{url}/healthz", timeout=2)
    except httpx.TransportError:
        raise no_api(settings) from None
    return url


def at_least(minimum: int) -> Callable[[str], int]:
    """An argparse type: an integer >= minimum."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be {minimum} or more, not {value}")
        return value

    return parse


def seconds(*, positive: bool) -> Callable[[str], float]:
    """An argparse type: a number >= 0 (> 0 when `positive`)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if value != value or value in (float("inf"), float("-inf")):
            raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
        if value < 0 or (positive and value == 0):
            raise argparse.ArgumentTypeError(
                f"must be {'more than 0' if positive else '0 or more'}, not {text}"
            )
        return value

    return parse


def when(value: datetime) -> str:
    """An instant as the commands print it: ISO 8601 to the second, UTC as Z."""
    return value.isoformat(timespec="seconds").replace("+00:00", "Z")


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Columns as wide as their widest cell (the last one unpadded)."""
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]
    return [
        "  ".join(
            [cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=False)] + [row[-1]]
        ).rstrip()
        for row in (header, *rows)
    ]
