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
    node, projections/cluster.py). A migration runs its statements through `execute`, never
    through `clickhouse.command` directly, so that the cluster rendering is never skipped."""

    clickhouse: ClickHouse
    retention_days: int
    rollup_retention_days: int
    ddl: ClusterDDL = field(default_factory=ClusterDDL)

    def execute(self, *statements: str) -> None:
        """Render the statements for the deployment and run them, in order."""
        for statement in self.ddl.render(statements):
            self.clickhouse.command(statement)
