"""The Store contract, run against SQLite and against a real PostgreSQL server on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.store import StoreError, open_store
from bot.store.postgres import PostgresDriver
from bot.store.schema import MIGRATIONS
from bot.store.sql import SqlStore
from bot.store.sqlite import SqliteDriver
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


# --- the outbox's claims and outcomes ------------------------------------------------------------


async def test_a_claimed_alert_is_marked_only_by_its_claim(st: SqlStore) -> None:
    await st.outbox_add("k1", "slack", "192.0.2.7|zen.example", {"n": 1}, 100.0)
    (item,) = await st.outbox_due("slack", 100.0)
    assert await st.outbox_claim(item.id, "a/1", 101.0)
    assert not await st.outbox_claim(item.id, "b/1", 102.0)  # claimed already
    claimed = await st.outbox_get("k1", "slack")
    assert claimed is not None and (claimed.claim, claimed.claimed_at) == ("a/1", 101.0)
    assert not await st.outbox_sent(item.id, 103.0, "b/1")
    assert await st.outbox_sent(item.id, 103.0, "a/1")
    sent = await st.outbox_get("k1", "slack")
    assert sent is not None and (sent.sent_at, sent.claim) == (103.0, None)
    assert not await st.outbox_claim(item.id, "a/2", 104.0)  # sent: never claimed again


async def test_a_claim_taken_over_shuts_out_its_old_holder(st: SqlStore) -> None:
    await st.outbox_add("k1", "slack", "inc|zen.example", {}, 100.0)
    (item,) = await st.outbox_due("slack", 100.0)
    assert await st.outbox_claim(item.id, "dead/1", 100.0)
    assert not await st.outbox_claim(item.id, "new/1", 300.0)  # only with the claim it replaces
    assert await st.outbox_claim(item.id, "new/1", 300.0, previous="dead/1")
    # the old holder wakes up: neither its success nor its failure is written
    assert not await st.outbox_sent(item.id, 301.0, "dead/1")
    assert not await st.outbox_retry(item.id, 400.0, "timeout", claim="dead/1")
    assert not await st.outbox_fail(item.id, 301.0, "refused", "dead/1")
    assert await st.outbox_retry(item.id, 400.0, "HTTP 503", claim="new/1")
    retried = await st.outbox_get("k1", "slack")
    assert retried is not None
    assert (retried.claim, retried.attempts, retried.refusals, retried.next_at) == (
        None,
        1,
        0,
        400.0,
    )


async def test_a_retry_may_keep_the_claim_and_counts_refusals_apart(st: SqlStore) -> None:
    await st.outbox_add("k1", "telegram", "inc|zen.example", {}, 100.0)
    (item,) = await st.outbox_due("telegram", 100.0)
    await st.outbox_claim(item.id, "a/1", 100.0)
    assert await st.outbox_retry(item.id, 130.0, "x" * 900, claim="a/1", keep_claim=True)
    kept = await st.outbox_get("k1", "telegram")
    assert kept is not None and kept.claim == "a/1" and len(kept.last_error or "") == 500
    assert await st.outbox_retry(item.id, 190.0, "Forbidden", refused=True, claim="a/1")
    again = await st.outbox_get("k1", "telegram")
    assert again is not None and (again.attempts, again.refusals, again.claim) == (2, 1, None)


async def test_a_failed_alert_is_closed_and_no_longer_pending(st: SqlStore) -> None:
    await st.outbox_add("k1", "slack", "inc|zen.example", {}, 100.0)
    await st.outbox_add("k2", "slack", "inc|zen.example", {}, 101.0)
    first, _ = await st.outbox_due("slack", 200.0)
    await st.outbox_claim(first.id, "a/1", 150.0)
    assert await st.outbox_fail(first.id, 160.0, "SlackApiError: is_archived", "a/1")
    failed = await st.outbox_get("k1", "slack")
    assert failed is not None
    assert (failed.failed_at, failed.last_error, failed.refusals, failed.claim) == (
        160.0,
        "SlackApiError: is_archived",
        1,
        None,
    )
    assert [i.key for i in await st.outbox_due("slack", 1e18)] == ["k2"]
    assert await st.outbox_pending() == 1
    assert not await st.outbox_sent(first.id, 170.0)  # closed for good
    assert not await st.outbox_add("k1", "slack", "inc|zen.example", {}, 200.0)


# --- lists dropped from the settings -------------------------------------------------------------


async def test_forgetting_a_list_drops_its_state_threads_and_alerts_but_the_one_in_flight(
    st: SqlStore,
) -> None:
    for zone in ("kept.example", "dropped.example"):
        await st.listing_put(ListingState("192.0.2.7", zone, "listed", ("127.0.0.2",), "", 1, 1))
        await st.listing_put(ListingState("*", zone, "unknown", (), "", 1, 1, 1.0, True))
        await st.thread_put("slack", f"192.0.2.7|{zone}", f"ts-{zone}")
        await st.outbox_add(f"sent|{zone}", "slack", f"192.0.2.7|{zone}", {}, 1.0)
        await st.outbox_add(f"open|{zone}", "slack", f"192.0.2.7|{zone}", {}, 2.0)
        await st.outbox_add(f"busy|{zone}", "slack", f"192.0.2.8|{zone}", {}, 3.0)
    for item in await st.outbox_due("slack", 10.0):
        if item.key.startswith("sent|"):
            await st.outbox_sent(item.id, 5.0)
        if item.key.startswith("busy|"):
            await st.outbox_claim(item.id, "a/1", 5.0)
    assert await st.listing_forget_zones({"dropped.example"}) == 2
    cancelled = await st.outbox_forget_zones({"dropped.example"})
    assert await st.thread_close_zones({"dropped.example"}) == 1
    assert [i.key for i in cancelled] == ["open|dropped.example"]
    assert {(s.target, s.zone) for s in await st.listing_all()} == {
        ("*", "kept.example"),
        ("192.0.2.7", "kept.example"),
    }
    assert await st.thread_get("slack", "192.0.2.7|dropped.example") is None
    assert await st.thread_get("slack", "192.0.2.7|kept.example") == "ts-kept.example"
    left = [i.key for i in await st.outbox_due("slack", 1e18)]
    assert left == ["open|kept.example", "busy|kept.example", "busy|dropped.example"]
    # a list configured again alerts afresh: its old keys are free
    assert await st.outbox_add("sent|dropped.example", "slack", "192.0.2.7|x", {}, 9.0)


# --- upgrading a database of the previous version in place --------------------------------------


async def _version_1_database(url: str) -> None:
    """A database as the previous release left it: migration 1 only, with data in every table."""
    driver: SqliteDriver | PostgresDriver
    if url.startswith("sqlite:"):
        driver = SqliteDriver(url.removeprefix("sqlite:///"))
    else:
        driver = await PostgresDriver.connect(url)
    try:
        assert await driver.version() == 0
        await driver.script(MIGRATIONS[0], 1)
        await driver.execute(
            "INSERT INTO outbox (key, destination, incident, payload, attempts, next_at,"
            " created_at, sent_at, last_error) VALUES"
            " ('old-sent', 'slack', '192.0.2.7|zen.example', '{\"n\": 1}', 0, 10, 10, 11, NULL),"
            " ('old-open', 'slack', '192.0.2.7|zen.example', '{\"n\": 2}', 3, 20, 12, NULL,"
            " 'ConnectionError: 503')"
        )
        await driver.execute(
            "INSERT INTO listing (target, zone, state, codes, txt, since, checked_at)"
            " VALUES ('192.0.2.7', 'zen.example', 'listed', '127.0.0.2', 'why', 5, 6)"
        )
        await driver.execute(
            "INSERT INTO threads (destination, incident, ref)"
            " VALUES ('slack', '192.0.2.7|zen.example', 'ts1')"
        )
    finally:
        await driver.close()


async def test_a_database_of_the_previous_version_is_upgraded_in_place(db_url: str) -> None:
    await _version_1_database(db_url)
    st = await open_store(db_url)
    try:
        assert await st.driver.version() == len(MIGRATIONS)
        (old,) = await st.outbox_due("slack", 1e18)
        assert (old.key, old.payload, old.attempts, old.last_error) == (
            "old-open",
            {"n": 2},
            3,
            "ConnectionError: 503",
        )
        assert (old.refusals, old.claim, old.claimed_at, old.failed_at) == (0, None, None, None)
        assert await st.outbox_pending() == 1
        assert await st.outbox_claim(old.id, "a/1", 30.0)
        assert await st.outbox_retry(old.id, 60.0, "Forbidden", refused=True, claim="a/1")
        sent = await st.outbox_get("old-sent", "slack")
        assert sent is not None and sent.sent_at == 11.0
        assert await st.listing_get("192.0.2.7", "zen.example") is not None
        assert await st.thread_get("slack", "192.0.2.7|zen.example") == "ts1"
    finally:
        await st.close()


async def test_two_replicas_upgrading_one_database_at_once_both_open_it(db_url: str) -> None:
    await _version_1_database(db_url)
    stores = await asyncio.gather(*(open_store(db_url) for _ in range(3)))
    try:
        assert {await s.driver.version() for s in stores} == {len(MIGRATIONS)}
        assert await stores[0].outbox_pending() == 1
    finally:
        for s in stores:
            await s.close()


async def test_an_unwatched_target_forgets_its_alerts_and_threads_unless_still_covered(
    st: SqlStore,
) -> None:
    await st.watch_add(WatchEntry("192.0.2.0/30", "network", "console", 1.0))
    await st.watch_add(WatchEntry("192.0.2.1", "ip", "console", 1.0))
    for target in ("192.0.2.0/30", "192.0.2.1", "192.0.2.2"):
        await st.listing_put(ListingState(target, "z.example", "listed", ("127.0.0.2",), "", 1, 1))
        await st.outbox_add(f"listed|{target}", "slack", f"{target}|z.example", {}, 1.0)
        await st.thread_put("slack", f"{target}|z.example", f"ts-{target}")
    assert await st.watch_remove("192.0.2.0/30")
    assert [s.target for s in await st.listing_all()] == ["192.0.2.1"]  # still watched alone
    assert [i.key for i in await st.outbox_due("slack", 1e18)] == ["listed|192.0.2.1"]
    assert await st.thread_get("slack", "192.0.2.2|z.example") is None
    assert await st.thread_get("slack", "192.0.2.1|z.example") == "ts-192.0.2.1"
    # watched again, its first listing is news again: the key it had is free
    assert await st.outbox_add("listed|192.0.2.2", "slack", "192.0.2.2|z.example", {}, 9.0)
