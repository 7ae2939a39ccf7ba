"""A licence's keys get a public id, a name, a role and a revocation time (the account page's
"Clés et jetons").

`key_id` is what the page and the API show and revoke by, never the hash. A key created before
this migration has none stored: its id is derived from its hash (the first 12 hex digits of the
hash's SHA-256), so it is stable and tells nothing of the key; a new key gets a random one. A
key made before this migration acted as its licence's owner: `role` defaults to owner. A
revocation writes the key's row again, same `created_at`, with `revoked_at` set: the
ReplacingMergeTree keeps the last row inserted among equal versions. Backwards drops the four
columns, the names and revocations with them (a revoked key would work again).
"""

from __future__ import annotations

from projections.migrations.context import MigrationContext

NAME = "licence_keys: key_id, name, role, revoked_at"


def forwards(context: MigrationContext) -> None:
    context.execute(
        """
                ALTER TABLE licence_keys
                ADD COLUMN IF NOT EXISTS key_id String
                    DEFAULT lower(substring(hex(SHA256(key_hash)), 1, 12)) AFTER key_hash,
                ADD COLUMN IF NOT EXISTS name String DEFAULT '' AFTER kind,
                ADD COLUMN IF NOT EXISTS role Enum8('owner' = 1, 'member' = 2, 'viewer' = 3)
                    DEFAULT 'owner' AFTER name,
                ADD COLUMN IF NOT EXISTS revoked_at Nullable(DateTime64(3, 'UTC'))
                """,
    )


def backwards(context: MigrationContext) -> None:
    context.execute(
        """
                ALTER TABLE licence_keys
                DROP COLUMN IF EXISTS revoked_at,
                DROP COLUMN IF EXISTS role,
                DROP COLUMN IF EXISTS name,
                DROP COLUMN IF EXISTS key_id
                """,
    )
