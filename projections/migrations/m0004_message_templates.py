"""The message with its variable parts masked (processors/fingerprint.py), stored with each event.

An error group's fingerprint is computed from the template, and the rollup of error groups
(m0010) shows it as the group's name. Backwards drops the column and the templates of stored
events.
"""

from __future__ import annotations

from projections.migrations.context import MigrationContext

NAME = "message templates"


def forwards(context: MigrationContext) -> None:
    context.execute(
        """
                ALTER TABLE sync_events
                ADD COLUMN IF NOT EXISTS message_template String CODEC(ZSTD(1)) AFTER fingerprint
                """,
    )


def backwards(context: MigrationContext) -> None:
    context.execute("ALTER TABLE sync_events DROP COLUMN IF EXISTS message_template")
