"""The migrations' DDL for a ClickHouse cluster (ERO_CLICKHOUSE_CLUSTER): same tables, replicated
and sharded.

Every table `t` becomes `t_local` (Replicated*MergeTree, on every node of the cluster) with a
Distributed table `t` in front, so the code keeps reading and writing `t`. Tables that carry a
licence are sharded by it: a licence's rows live on one shard, which keeps the writer's
"first insert wins" check and every per-licence read on one shard. Materialized views run on
each node from `t_local` into the local target, so rollups fill where the rows land. An ALTER
reaches both tables, but one of projections or settings only `t_local` (a Distributed table has
neither).

Without a cluster the statements are returned as they are: the single-node DDL never changes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from infra.clickhouse import ClickHouse, ClickHouseUnavailable

_CREATE_TABLE = re.compile(
    r"^(?P<indent>\s*)CREATE TABLE IF NOT EXISTS (?P<name>\w+) \(", re.IGNORECASE
)
_ENGINE = re.compile(r"ENGINE = (?P<engine>\w*MergeTree)(?:\((?P<args>[^)]*)\))?")
_ALTER = re.compile(r"^(?P<indent>\s*)ALTER TABLE (?P<name>\w+)(?=\s)", re.IGNORECASE)
_VIEW = re.compile(
    r"^(?P<indent>\s*)CREATE MATERIALIZED VIEW IF NOT EXISTS (?P<name>\w+)\s+TO (?P<target>\w+)",
    re.IGNORECASE,
)
_FROM = re.compile(r"\bFROM (?P<source>\w+)\b")
# What only a MergeTree holds: a Distributed table has no projections and no such settings.
_LOCAL_ONLY = re.compile(
    r"\s+(?:(?:ADD|DROP|MATERIALIZE) PROJECTION|(?:MODIFY|RESET) SETTING)\b", re.IGNORECASE
)


class UnsupportedStatement(ValueError):
    """A migration statement the cluster renderer does not know how to distribute."""


class UnknownCluster(ClickHouseUnavailable):
    """The ClickHouse server does not define the cluster the settings name."""


def check_cluster(clickhouse: ClickHouse, cluster: str | None) -> None:
    """Before any DDL: ON CLUSTER against a server without that cluster fails statement by
    statement; one clear line instead."""
    if cluster is None:
        return
    found = clickhouse.rows(
        "SELECT count() FROM system.clusters WHERE cluster = {cluster:String}",
        {"cluster": cluster},
    )
    if found[0][0] == 0:
        raise UnknownCluster(
            f"ClickHouse at {clickhouse.dsn.split('@')[-1]} defines no cluster {cluster!r} "
            "(system.clusters): add it to remote_servers, or unset ERO_CLICKHOUSE_CLUSTER"
        )


@dataclass(frozen=True)
class ClusterDDL:
    """The rendering a deployment needs: its cluster, or None for a single node."""

    cluster: str | None = None

    def render(self, statements: tuple[str, ...]) -> tuple[str, ...]:
        return render(statements, self.cluster)


def render(statements: tuple[str, ...], cluster: str | None) -> tuple[str, ...]:
    if cluster is None:
        return statements
    if not re.fullmatch(r"\w+", cluster):
        raise UnsupportedStatement(f"cluster name {cluster!r}: letters, digits and _ only")
    return tuple(rendered for statement in statements for rendered in _render(statement, cluster))


def _render(statement: str, cluster: str) -> Sequence[str]:
    if match := _CREATE_TABLE.match(statement):
        return _table(statement, match, cluster)
    if match := _ALTER.match(statement):
        name = match["name"]
        rest = statement[match.end() :]
        indent = match["indent"]
        local = f"{indent}ALTER TABLE {name}_local ON CLUSTER {cluster}{rest}"
        if _LOCAL_ONLY.match(rest):
            return (local,)
        return (local, f"{indent}ALTER TABLE {name} ON CLUSTER {cluster}{rest}")
    if match := _VIEW.match(statement):
        head = (
            f"{match['indent']}CREATE MATERIALIZED VIEW IF NOT EXISTS {match['name']} "
            f"ON CLUSTER {cluster} TO {match['target']}_local"
        )
        body = _FROM.sub(lambda found: f"FROM {found['source']}_local", statement[match.end() :])
        return (head + body,)
    raise UnsupportedStatement(f"no cluster rendering for: {statement.strip()[:80]}")


def _table(statement: str, match: re.Match[str], cluster: str) -> Sequence[str]:
    name = match["name"]
    engine = _ENGINE.search(statement)
    if engine is None:
        raise UnsupportedStatement(f"table {name}: not a MergeTree engine")
    path = f"'/clickhouse/tables/{{shard}}/{{database}}/{name}_local', '{{replica}}'"
    arguments = f"{path}, {engine['args']}" if engine["args"] else path
    local = (
        f"{match['indent']}CREATE TABLE IF NOT EXISTS {name}_local ON CLUSTER {cluster} ("
        + statement[match.end() : engine.start()]
        + f"ENGINE = Replicated{engine['engine']}({arguments})"
        + statement[engine.end() :]
    )
    shard_by = (
        "cityHash64(licence_id)" if re.search(r"^\s*licence_id ", statement, re.M) else ("rand()")
    )
    distributed = (
        f"{match['indent']}CREATE TABLE IF NOT EXISTS {name} ON CLUSTER {cluster} "
        f"AS {name}_local ENGINE = Distributed({cluster}, currentDatabase(), {name}_local, "
        f"{shard_by})"
    )
    return (local, distributed)
