"""A licence's keys on the real chdb: public ids, names, roles, revocation, and the keys made
before they had any of these (migration 42)."""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from infra.clickhouse import ClickHouse
from licences.store import KeyCache, LicenceStore, Role, hash_key
from projections.migrations import migrate, rollback

KEY_ID = re.compile(r"^[0-9a-f]{12}$")


async def test_a_licence_starts_with_an_owner_token_and_a_connector_key(
    clickhouse: ClickHouse,
) -> None:
    store = LicenceStore(clickhouse)
    created = store.create("keys of a new licence")
    keys = await store.keys(created.licence_id)
    assert sorted((k.kind, k.role, k.name, k.revoked_at) for k in keys) == [
        ("connector", None, None, None),
        ("token", "owner", None, None),
    ]
    for key in keys:
        assert KEY_ID.match(key.key_id)
        assert key.key_id not in (hash_key(created.reader_token), hash_key(created.connector_key))
    principal = await store.authenticate(created.reader_token)
    assert principal is not None
    assert (principal.role, principal.actor) == (Role.OWNER, "reader")


async def test_a_named_token_has_its_role_and_names_itself(clickhouse: ClickHouse) -> None:
    store = LicenceStore(clickhouse)
    licence = store.create("a script's token")
    new = await store.create_key(licence.licence_id, "token", "nightly export", Role.MEMBER)
    assert new.key.startswith("ert_")
    assert (new.kind, new.role) == ("token", "member")
    principal = await store.authenticate(new.key)
    assert principal is not None
    assert (principal.licence_id, principal.role) == (licence.licence_id, Role.MEMBER)
    assert principal.actor == "reader:nightly export"
    listed = {k.key_id: k for k in await store.keys(licence.licence_id)}
    assert listed[new.key_id].name == "nightly export"
    assert "key" not in listed[new.key_id].model_dump()


async def test_a_revoked_key_is_refused_here_at_once_and_elsewhere_within_the_ttl(
    clickhouse: ClickHouse,
) -> None:
    here = LicenceStore(clickhouse)
    elsewhere = LicenceStore(clickhouse, KeyCache(hit_ttl=1.0))  # another API process
    licence = here.create("revocation")
    new = await here.create_key(licence.licence_id, "connector", "second PC", Role.VIEWER)
    assert await here.authenticate(new.key) is not None  # cached in both processes
    assert await elsewhere.authenticate(new.key) is not None

    revoked = await here.revoke_key(licence.licence_id, new.key_id)
    assert revoked is not None
    assert revoked.revoked_at is not None
    assert await here.authenticate(new.key) is None
    assert await elsewhere.authenticate(new.key) is not None, "served from its cache"
    await asyncio.sleep(1.1)
    assert await elsewhere.authenticate(new.key) is None

    again = await here.revoke_key(licence.licence_id, new.key_id)
    assert again is not None
    assert again.revoked_at == revoked.revoked_at
    assert await here.authenticate(licence.connector_key) is not None, "only that key"
    keys = {k.key_id: k.revoked_at for k in await here.keys(licence.licence_id)}
    assert keys[new.key_id] == revoked.revoked_at


async def test_a_key_id_of_another_licence_revokes_nothing(clickhouse: ClickHouse) -> None:
    store = LicenceStore(clickhouse)
    mine, theirs = store.create("mine"), store.create("theirs")
    (their_token,) = [k for k in await store.keys(theirs.licence_id) if k.kind == "token"]
    assert await store.revoke_key(mine.licence_id, their_token.key_id) is None
    assert await store.revoke_key(mine.licence_id, "") is None
    assert await store.authenticate(theirs.reader_token) is not None


@pytest.fixture
def before_42(clickhouse: ClickHouse) -> Iterator[ClickHouse]:
    """A database migrated up to 41, beside the session's."""
    clickhouse.command("DROP DATABASE IF EXISTS keys_check")
    clickhouse.command("CREATE DATABASE keys_check")
    client = ClickHouse(f"{clickhouse.dsn}/?database=keys_check")
    migrate(client, 90, 730)
    rollback(client, 90, 730, 41)
    yield client
    client.close()
    clickhouse.command("DROP DATABASE IF EXISTS keys_check")


async def test_a_key_made_before_migration_42_is_its_licence_owner(before_42: ClickHouse) -> None:
    now = datetime.now(UTC)
    token = "ert_" + "a" * 43
    before_42.insert_columns(
        "licences",
        ("licence_id", "name", "status", "created_at", "updated_at"),
        (["old"], ["an old licence"], ["active"], [now], [now]),
    )
    before_42.insert_columns(
        "licence_keys",
        ("key_hash", "licence_id", "kind", "created_at"),
        ([hash_key(token)], ["old"], ["reader"], [now]),
    )
    assert migrate(before_42, 90, 730)[0] == 42  # and the later ones
    store = LicenceStore(before_42)
    principal = await store.authenticate(token)
    assert principal is not None
    assert principal.role is Role.OWNER
    (key,) = await store.keys("old")
    assert key.key_id == hashlib.sha256(hash_key(token).encode()).hexdigest()[:12]
    assert (key.kind, key.role, key.name) == ("token", "owner", None)
    assert await store.revoke_key("old", key.key_id) is not None
    assert await store.authenticate(token) is None
