"""The remediation hint in English beside the French one, and the table of published catalogs.

`remediation_hint_en` lets a reader who asks for English get the hint in English. Every
published rule catalog is kept in `rule_catalogs`, so that a restart (or a memory-only broker)
resumes with the newest rules, and classification stays explainable by version.

Backwards drops the column (the English hints of stored events are lost) and the catalogs.
"""

from __future__ import annotations

from projections.migrations.context import MigrationContext

NAME = "remediation in English; rule catalogs"


def forwards(context: MigrationContext) -> None:
    context.execute(
        """
                ALTER TABLE sync_events
                ADD COLUMN IF NOT EXISTS remediation_hint_en String CODEC(ZSTD(1))
                AFTER remediation_hint
                """,
        """
                CREATE TABLE IF NOT EXISTS rule_catalogs (
                    version UInt32,
                    catalog String CODEC(ZSTD(3)),
                    published_at DateTime64(3, 'UTC')
                ) ENGINE = ReplacingMergeTree
                ORDER BY version
                """,
    )


def backwards(context: MigrationContext) -> None:
    context.execute(
        "DROP TABLE IF EXISTS rule_catalogs",
        "ALTER TABLE sync_events DROP COLUMN IF EXISTS remediation_hint_en",
    )
