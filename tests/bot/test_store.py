"""The Store contract, run against SQLite and against a real PostgreSQL server on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.store import StoreError, open_store
from bot.store.sql import SqlStore
from handlers.store import ListingState, WatchEntry


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.lab)])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite3'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
async def st(db_url: str) -> AsyncIterator[SqlStore]:
    s = await open_store(db_url)
    yield s
    await s.close()


async def test_an_event_is_claimed_once_and_skipped_afterwards(st: SqlStore) -> None:
    assert await st.claim_event("slack:Ev1", 1000.0)
    assert not await st.claim_event("slack:Ev1", 1001.0)
    assert await st.claim_event("slack:Ev2", 1002.0)


async def test_a_language_choice_is_remembered_per_platform_and_user(st: SqlStore) -> None:
    assert await st.get_lang("slack", "U1") is None
    await st.set_lang("slack", "U1", "zh-TW")
    await st.set_lang("slack", "U1", "en")
    await st.set_lang("telegram", "U1", "zh-TW")
    assert await st.get_lang("slack", "U1") == "en"
    assert await st.get_lang("telegram", "U1") == "zh-TW"


async def test_the_watch_list_keeps_each_target_once_and_forgets_its_state_on_removal(
    st: SqlStore,
) -> None:
    entry = WatchEntry("192.0.2.7", "ip", "slack:U1", 10.0)
    assert await st.watch_add(entry)
    assert not await st.watch_add(WatchEntry("192.0.2.7", "ip", "slack:U2", 11.0))
    assert await st.watch_add(WatchEntry("example.org", "domain", "console", 12.0, "config"))
    assert [e.target for e in await st.watch_list()] == ["192.0.2.7", "example.org"]
    assert (await st.watch_list())[0] == entry
    await st.listing_put(
        ListingState("192.0.2.7", "zen.example", "listed", ("127.0.0.2",), "", 1, 1)
    )
    assert await st.watch_remove("192.0.2.7")
    assert not await st.watch_remove("192.0.2.7")
    assert await st.listing_get("192.0.2.7", "zen.example") is None
    assert [e.target for e in await st.watch_list()] == ["example.org"]


async def test_removing_a_watched_range_forgets_the_state_of_its_addresses(st: SqlStore) -> None:
    await st.watch_add(WatchEntry("192.0.2.0/24", "network", "console", 1.0))
    await st.watch_add(WatchEntry("198.51.100.7", "ip", "console", 1.0))
    for ip in ("192.0.2.9", "192.0.2.200", "198.51.100.7"):
        await st.listing_put(ListingState(ip, "zen.example", "listed", ("127.0.0.2",), "", 1, 1))
    assert await st.watch_remove("192.0.2.0/24")
    assert [s.target for s in await st.listing_all()] == ["198.51.100.7"]


async def test_listing_state_round_trips_and_is_replaced_per_target_and_zone(
    st: SqlStore,
) -> None:
    first = ListingState(
        "192.0.2.7", "zen.example", "listed", ("127.0.0.2", "127.0.0.4"), "why", 5, 6
    )
    await st.listing_put(first)
    assert await st.listing_get("192.0.2.7", "zen.example") == first
    later = ListingState("192.0.2.7", "zen.example", "clear", (), "", 9, 9, 8.5, True)
    await st.listing_put(later)
    await st.listing_put(ListingState("192.0.2.8", "zen.example", "unknown", (), "", 7, 7, 7.0))
    assert await st.listing_get("192.0.2.7", "zen.example") == later
    assert [(s.target, s.state) for s in await st.listing_all()] == [
        ("192.0.2.7", "clear"),
        ("192.0.2.8", "unknown"),
    ]


async def test_the_outbox_queues_an_alert_once_per_key_and_destination(st: SqlStore) -> None:
    payload = {"kind": "listed", "target": "192.0.2.7", "zone": "zen.example", "txt": "測試"}
    assert await st.outbox_add("k1", "slack", "192.0.2.7|zen.example", payload, 100.0)
    assert not await st.outbox_add("k1", "slack", "192.0.2.7|zen.example", payload, 101.0)
    assert await st.outbox_add("k1", "telegram", "192.0.2.7|zen.example", payload, 100.0)
    due = await st.outbox_due("slack", 100.0)
    assert [(i.key, i.payload, i.attempts) for i in due] == [("k1", payload, 0)]
    assert await st.outbox_pending() == 2


async def test_an_outbox_item_waits_for_its_retry_time_and_disappears_once_sent(
    st: SqlStore,
) -> None:
    await st.outbox_add("k1", "slack", "inc", {"n": 1}, 100.0)
    (item,) = await st.outbox_due("slack", 100.0)
    await st.outbox_retry(item.id, 160.0, "chat API down")
    assert await st.outbox_due("slack", 159.0) == []
    (again,) = await st.outbox_due("slack", 160.0)
    assert again.attempts == 1
    await st.outbox_sent(again.id, 161.0)
    assert await st.outbox_due("slack", 10_000.0) == []
    assert await st.outbox_pending() == 0
    assert not await st.outbox_add("k1", "slack", "inc", {"n": 1}, 200.0)  # never re-queued


async def test_outbox_items_come_due_in_the_order_they_were_queued(st: SqlStore) -> None:
    for n in range(5):
        await st.outbox_add(f"k{n}", "console", "inc", {"n": n}, 100.0 + n)
    due = await st.outbox_due("console", 1000.0, limit=3)
    assert [i.payload["n"] for i in due] == [0, 1, 2]


async def test_an_incident_remembers_its_thread_per_destination(st: SqlStore) -> None:
    assert await st.thread_get("slack", "inc") is None
    await st.thread_put("slack", "inc", "1700000000.000100")
    await st.thread_put("telegram", "inc", "42")
    assert await st.thread_get("slack", "inc") == "1700000000.000100"
    assert await st.thread_get("telegram", "inc") == "42"


async def test_a_lease_has_one_holder_until_it_expires_or_is_released(st: SqlStore) -> None:
    assert await st.lease_acquire("monitor", "a", ttl=60, now=1000)
    assert not await st.lease_acquire("monitor", "b", ttl=60, now=1030)
    assert await st.lease_acquire("monitor", "a", ttl=60, now=1050)  # renewed to 1110
    assert not await st.lease_acquire("monitor", "b", ttl=60, now=1100)
    assert await st.lease_acquire("monitor", "b", ttl=60, now=1111)  # a died: b takes over
    assert not await st.lease_acquire("monitor", "a", ttl=60, now=1112)
    await st.lease_release("monitor", "b")
    assert await st.lease_acquire("monitor", "a", ttl=60, now=1113)


async def test_two_connections_racing_for_a_lease_give_it_to_exactly_one(db_url: str) -> None:
    stores = [await open_store(db_url) for _ in range(4)]
    try:
        won = await asyncio.gather(
            *(s.lease_acquire("monitor", f"h{n}", 60, 1000) for n, s in enumerate(stores))
        )
        queued = await asyncio.gather(
            *(s.outbox_add("k", "slack", "inc", {}, 1000) for s in stores)
        )
    finally:
        for s in stores:
            await s.close()
    assert sum(won) == 1
    assert sum(queued) == 1


async def test_a_second_open_of_a_migrated_database_keeps_its_data(db_url: str) -> None:
    first = await open_store(db_url)
    await first.set_lang("slack", "U1", "zh-TW")
    await first.close()
    second = await open_store(db_url)
    try:
        assert await second.get_lang("slack", "U1") == "zh-TW"
    finally:
        await second.close()


async def test_an_unreachable_database_is_named_without_its_password() -> None:
    with pytest.raises(StoreError) as caught:
        await open_store("postgresql://bot:s3cret@127.0.0.1:1/mail?connect_timeout=2")
    assert "MAILTRIAGE_DB" in str(caught.value)
    assert "s3cret" not in str(caught.value)


async def test_a_sqlite_url_without_a_path_is_refused_with_the_expected_form() -> None:
    with pytest.raises(StoreError, match="sqlite:///"):
        await open_store("sqlite:relative.db")


@pytest.mark.lab
async def test_a_postgresql_store_reconnects_after_the_server_dropped_it(
    postgres_url: str,
) -> None:
    import psycopg

    st = await open_store(postgres_url)
    try:
        await st.set_lang("slack", "U1", "zh-TW")
        db = postgres_url.rsplit("/", 1)[1]
        admin = postgres_url.rsplit("/", 1)[0] + "/postgres"
        async with await psycopg.AsyncConnection.connect(admin, autocommit=True) as conn:
            await conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (db,)
            )
        with pytest.raises(psycopg.OperationalError):
            await st.get_lang("slack", "U1")  # the call in flight fails, no retry behind its back
        assert await st.get_lang("slack", "U1") == "zh-TW"  # the next one reconnects
    finally:
        await st.close()
