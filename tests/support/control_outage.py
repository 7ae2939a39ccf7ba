"""`python -m tests.support.control_outage COMMAND`: the `ero` COMMAND with ClickHouse refusing
every control-plane insert as an outage would (a transient failure, retried for ever), so the
control projection never finishes a batch.

The fault is injected here, around the real writer, so production code carries no test hook.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from control_plane.projection import ControlWriter
from ero.cli import main
from infra.clickhouse import ClickHouseUnavailable
from schemas.control import ControlEvent


async def _outage(self: ControlWriter, events: Sequence[ControlEvent]) -> None:
    raise ClickHouseUnavailable("injected outage: control-plane inserts refused")


if __name__ == "__main__":
    ControlWriter.write = _outage  # type: ignore[method-assign]
    main(sys.argv[1:])
