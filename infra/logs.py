"""structlog JSON logs for our code and for the libraries' stdlib loggers alike."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, Sequence

import structlog

_SHARED: list[structlog.types.Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def configure_logging(level: str = "INFO") -> None:
    structlog.configure(
        processors=[
            *_SHARED,
            structlog.processors.format_exc_info,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_SHARED,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Per-request access lines would drown the pipeline's own logs.
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    logging.getLogger("aiokafka").setLevel(logging.WARNING)


def batch_ids(owners: Iterable[tuple[str, str]], event_ids: Sequence[str]) -> dict[str, list[str]]:
    """What a log line about a batch names: its (licence, connector) owners and event ids (at
    most 20 of each: enough to find them, not a dump)."""
    licences = sorted({licence for licence, _ in owners})
    connectors = sorted({connector for _, connector in owners})
    return {
        "licence_ids": licences[:20],
        "connector_ids": connectors[:20],
        "event_ids": list(event_ids[:20]),
    }
