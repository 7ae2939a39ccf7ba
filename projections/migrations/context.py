"""What a migration is handed: the deployment's ClickHouse and the figures its DDL depends on."""

from __future__ import annotations

from dataclasses import dataclass, field

from infra.clickhouse import ClickHouse
from projections.cluster import ClusterDDL


@dataclass(frozen=True)
class MigrationContext:
    """One deployment's migration context.

    `retention_days` and `rollup_retention_days` are written into TTL clauses when a table is
    created; `ddl` renders every statement for the deployment's cluster (unchanged on a single
    node, projections/cluster.py). A migration runs its DDL through `execute` and its data
    statements through `fill`, never through `clickhouse.command` directly, so that the cluster
    rendering is never skipped where it is needed."""

    clickhouse: ClickHouse
    retention_days: int
    rollup_retention_days: int
    ddl: ClusterDDL = field(default_factory=ClusterDDL)

    def execute(self, *statements: str) -> None:
        """Render the statements for the deployment and run them, in order."""
        for statement in self.ddl.render(statements):
            self.clickhouse.command(statement)

    def fill(self, statement: str) -> None:
        """Run a data statement (INSERT ... SELECT) as it is: on a cluster it reads and writes
        the Distributed tables, so every shard's rows are read and land on their shard."""
        self.clickhouse.command(statement)
