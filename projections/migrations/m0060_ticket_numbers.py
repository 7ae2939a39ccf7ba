"""Support tickets' human numbers (ERO-YYYY-NNNNNN): which ticket holds which number of its year.

Written by the control projection only (control_plane/ticket_numbers.py), before the ticket's
own row: a replay finds the number given the first time. Ordered by ticket: a ticket written
twice (a replay, a batch consumed again) folds into one row. Backwards drops the numbers: the
tickets keep the number their rows carry, and new tickets would count from 1 again.
"""

from __future__ import annotations

from projections.migrations.context import MigrationContext

NAME = "ticket_numbers"


def forwards(context: MigrationContext) -> None:
    context.execute(
        """
                CREATE TABLE IF NOT EXISTS ticket_numbers (
                    ticket_id String,
                    licence_id LowCardinality(String),
                    year UInt16,
                    seq UInt32,
                    number String,
                    numbered_at DateTime64(3, 'UTC')
                ) ENGINE = ReplacingMergeTree
                ORDER BY ticket_id
                """,
    )


def backwards(context: MigrationContext) -> None:
    context.execute("DROP TABLE IF EXISTS ticket_numbers")
