"""Unknown tokens cost ClickHouse little and can never evict the licences being served."""

from __future__ import annotations

import secrets

import pytest

from infra.clickhouse import ClickHouse
from licences import store as licence_store
from licences.store import KeyCache, LicenceStore, Principal


class CountingStore(LicenceStore):
    """The real store on the real chdb, counting its key lookups."""

    lookups = 0

    def _lookup(self, key_hash: str) -> Principal | None:
        self.lookups += 1
        return super()._lookup(key_hash)


def _unknown() -> str:
    return "ert_" + secrets.token_urlsafe(32)


async def test_a_token_not_shaped_like_a_key_costs_no_lookup(clickhouse: ClickHouse) -> None:
    store = CountingStore(clickhouse)
    for token in ("", "x" * 10_000, "Bearer", "ert_short", "eck_" + "!" * 43):
        assert await store.authenticate(token) is None
    assert store.lookups == 0


async def test_unknown_keys_flood_only_the_miss_cache(clickhouse: ClickHouse) -> None:
    store = CountingStore(clickhouse, KeyCache(max_misses=50))
    known = store.create("served during a flood")
    assert await store.authenticate(known.reader_token) is not None
    unknown = _unknown()
    assert await store.authenticate(unknown) is None
    assert await store.authenticate(unknown) is None  # the negative answer is cached
    assert store.lookups == 2
    for _ in range(200):  # 4x the miss cache: it evicts, it is never cleared whole
        await store.authenticate(_unknown())
    lookups = store.lookups
    assert await store.authenticate(known.reader_token) is not None
    assert store.lookups == lookups, "the known key was evicted by unknown ones"


async def test_a_key_refused_before_its_licence_existed_works_once_created(
    clickhouse: ClickHouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = LicenceStore(clickhouse, KeyCache(miss_ttl=60))
    reader_token = _unknown()
    assert await store.authenticate(reader_token) is None
    keys = iter(["eck_" + secrets.token_urlsafe(32), reader_token])
    monkeypatch.setattr(licence_store, "_new_key", lambda _: next(keys))
    created = store.create("created after a refusal")
    principal = await store.authenticate(created.reader_token)
    assert principal is not None
    assert principal.licence_id == created.licence_id
