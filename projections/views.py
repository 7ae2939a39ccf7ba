"""The materialized views a table feeds, as ClickHouse reports them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from infra.clickhouse import ClickHouse

_VIEW = re.compile(
    r"^CREATE MATERIALIZED VIEW (\S+)\.(\w+) TO \S+\.(\w+) \((.*?)\) AS (SELECT .*)$", re.S
)


@dataclass(frozen=True)
class View:
    name: str
    target: str
    columns: tuple[str, ...]  # what its SELECT writes into the target, by name
    select: str
    create: str  # the live view's CREATE statement, as ClickHouse reports it


def views(clickhouse: ClickHouse, source: str) -> list[View]:
    rows = clickhouse.rows(
        """
        SELECT create_table_query FROM system.tables
        WHERE database = currentDatabase() AND engine = 'MaterializedView'
          AND name IN (
              SELECT arrayJoin(dependencies_table) FROM system.tables
              WHERE database = currentDatabase() AND name = {source:String}
          )
        ORDER BY name
        """,
        {"source": source},
    )
    found = []
    for (create,) in rows:
        match = _VIEW.match(create)
        if match is None:
            raise RuntimeError(f"cannot read the materialized view definition: {create[:200]}")
        columns = tuple(re.findall(r"`([^`]+)`", match.group(4)))
        found.append(View(match.group(2), match.group(3), columns, match.group(5), create))
    return found
