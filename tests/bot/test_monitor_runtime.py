"""The monitor runtime on the real DNS lab: sweeps, alerts once, outbox delivery, leader lease."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings
from bot.metrics import REGISTRY
from bot.monitor import Monitor, backoff
from bot.runtime import Runtime
from handlers.dnsbl import zones_for
from handlers.monitor.alerts import WHOLE_LIST
from handlers.monitor.sweep import sweep
from handlers.store import WatchEntry
from tests.bot.monitor_rig import Chat, Clock, FakeLists, quiet_settings
from tests.lab.dns import DnsLab

ROOT = Path(__file__).resolve().parents[2]
LISTED = "127.0.1.9"  # on zen.spamhaus.org (XBL, 127.0.0.4) in the lab
FLIP_ZONE = "bl4.dnsbl.lab.test"  # a lab list whose entries the tests change
KEPT, DROPPED = "bl1.dnsbl.lab.test", "bl2.dnsbl.lab.test"


def counted(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def env(lab: DnsLab, db: str, zones: str, watch: str) -> dict[str, str]:
    return {
        "MAILTRIAGE_DB": db,
        "MAILTRIAGE_RESOLVERS": "{}:{}".format(*lab.resolver),
        "MAILTRIAGE_DNSBL_ZONES": zones,
        "MAILTRIAGE_WATCH": watch,
        "MAILTRIAGE_DNS_TIMEOUT": "2",
    }


@pytest.fixture
async def monitors() -> AsyncIterator[list[Monitor]]:
    """Monitors the test opens; closed (with their runtime) at the end."""
    opened: list[Monitor] = []
    yield opened
    for m in opened:
        await m.close()
        await m.runtime.close()


async def open_monitor(
    opened: list[Monitor],
    values: dict[str, str],
    chat: Chat,
    clock: Clock,
    holder: str = "a",
    checker: FakeLists | None = None,
) -> Monitor:
    runtime = await Runtime.open(load_settings(environ=values))
    try:
        monitor = Monitor(runtime, [chat], holder=holder, clock=clock, checker=checker)
    except BaseException:
        await runtime.close()
        raise
    opened.append(monitor)
    return monitor


@pytest.mark.lab
async def test_a_listed_ip_alerts_once_and_its_delisting_is_reported(
    dns_lab: DnsLab,
    monitors: list[Monitor],
    tmp_path: Path,
) -> None:
    chat, clock = Chat(), Clock()
    values = env(dns_lab, f"sqlite:///{tmp_path / 'm.db'}", f"zen.spamhaus.org,{FLIP_ZONE}", "")
    values["MAILTRIAGE_WATCH"] = f"{LISTED},127.0.1.50"
    monitor = await open_monitor(monitors, values, chat, clock)
    try:
        first = await monitor.run_once()
        assert first is not None
        assert [(a.kind, a.target, a.zone, a.codes) for a in first] == [
            ("listed", LISTED, "zen.spamhaus.org", ("127.0.0.4",))
        ]
        assert "exploited host" in first[0].txt and first[0].delist_url.startswith("https://")
        assert chat.kinds() == [("listed", LISTED, "zen.spamhaus.org")]

        clock.now += 900
        assert await monitor.run_once() == []

        dns_lab.set_entries(FLIP_ZONE, ["127.0.0.2", "127.0.1.50 :127.0.0.2:lab listing"])
        clock.now += 900
        listed = await monitor.run_once()
        assert [(a.kind, a.target, a.zone) for a in listed or []] == [
            ("listed", "127.0.1.50", FLIP_ZONE)
        ]
        dns_lab.set_entries(FLIP_ZONE, ["127.0.0.2"])
        clock.now += 900
        delisted = await monitor.run_once()
        assert [(a.kind, a.target, a.zone) for a in delisted or []] == [
            ("delisted", "127.0.1.50", FLIP_ZONE)
        ]
    finally:
        dns_lab.set_entries(FLIP_ZONE, ["127.0.0.2"])
    # the delisting follows up in the thread of the listing's message
    assert chat.posts[-1][1] == "msg-2"
    assert chat.posts[1][1] is None


@pytest.mark.lab
async def test_a_refusing_list_raises_no_listing_and_a_dead_list_is_reported_once(
    dns_lab: DnsLab,
    monitors: list[Monitor],
    tmp_path: Path,
) -> None:
    chat, clock = Chat(), Clock()
    zones = "sbl.spamhaus.org,dead.dnsbl.test,zen.spamhaus.org"
    values = env(dns_lab, f"sqlite:///{tmp_path / 'm.db'}", zones, "127.0.1.9,127.0.1.20")
    monitor = await open_monitor(monitors, values, chat, clock)
    first = await monitor.run_once()
    assert sorted((a.kind, a.target, a.zone) for a in first or []) == [
        ("list_unreachable", WHOLE_LIST, "dead.dnsbl.test"),
        ("list_unreachable", WHOLE_LIST, "sbl.spamhaus.org"),
        ("listed", LISTED, "zen.spamhaus.org"),
    ]
    refused = next(a for a in first or [] if a.zone == "sbl.spamhaus.org")
    assert "127.255.255.254" in refused.why
    for _ in range(3):
        clock.now += 900
        assert await monitor.run_once() == []
    assert len(chat.posts) == 3


@pytest.mark.lab
async def test_a_domain_goes_to_domain_lists_and_an_ipv6_address_to_lists_that_take_it(
    dns_lab: DnsLab,
    monitors: list[Monitor],
    tmp_path: Path,
) -> None:
    values = env(
        dns_lab,
        f"sqlite:///{tmp_path / 'm.db'}",
        "zen.spamhaus.org,dbl.spamhaus.org",
        "listed.lab.test,good.lab.test,2001:db8:bad::25",
    )
    monitor = await open_monitor(monitors, values, Chat(), Clock())
    alerts = await monitor.run_once()
    assert sorted((a.kind, a.target, a.zone) for a in alerts or []) == [
        ("listed", "2001:db8:bad::25", "zen.spamhaus.org"),
        ("listed", "listed.lab.test", "dbl.spamhaus.org"),
    ]


@pytest.mark.lab
async def test_an_alert_queued_while_the_chat_is_down_is_delivered_once_after_a_restart(
    dns_lab: DnsLab,
    monitors: list[Monitor],
    tmp_path: Path,
) -> None:
    clock = Clock()
    values = env(dns_lab, f"sqlite:///{tmp_path / 'm.db'}", "zen.spamhaus.org", LISTED)
    down = Chat()
    down.down = True
    before = await open_monitor(monitors, values, down, clock, holder="before")
    assert len(await before.run_once() or []) == 1
    assert down.posts == [] and await before.runtime.store.outbox_pending() == 1
    monitors.remove(before)
    await before.close()
    await before.runtime.close()

    # the process restarts; the chat is back once the retry is due
    up = Chat()
    after = await open_monitor(monitors, values, up, clock, holder="after")
    assert await after.deliver_due() == 0  # not due yet: backoff
    clock.now += backoff(0)
    assert await after.run_once() == []  # the sweep knows it was alerted already
    assert up.kinds() == [("listed", LISTED, "zen.spamhaus.org")]
    clock.now += 3600
    assert await after.run_once() == [] and await after.deliver_due() == 0
    assert len(up.posts) == 1 and await after.runtime.store.outbox_pending() == 0


def mailtriage(values: dict[str, str], *args: str) -> subprocess.Popen[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("MAILTRIAGE_", "SLACK_"))}
    environ = {k: v for k, v in environ.items() if not k.startswith("TELEGRAM_")}
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "monitor", *args],
        env={**environ, **values},
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def alerts_of(proc: subprocess.Popen[str]) -> list[dict[str, object]]:
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    return [json.loads(line) for line in out.splitlines() if line.strip()]


@pytest.mark.lab
def test_the_cli_prints_each_alert_as_json_once_across_runs(
    dns_lab: DnsLab,
    tmp_path: Path,
) -> None:
    values = env(dns_lab, f"sqlite:///{tmp_path / 'm.db'}", "zen.spamhaus.org", LISTED)
    first = alerts_of(mailtriage(values, "--once", "--json"))
    assert first == [
        {
            "kind": "listed",
            "target": LISTED,
            "zone": "zen.spamhaus.org",
            "codes": ["127.0.0.4"],
            "txt": first[0]["txt"],
            "delist_url": first[0]["delist_url"],
            "why": "",
        }
    ]
    assert alerts_of(mailtriage(values, "--once", "--json")) == []


@pytest.mark.lab
def test_two_monitor_processes_on_one_postgresql_raise_one_alert(
    dns_lab: DnsLab,
    postgres_url: str,
) -> None:
    values = env(dns_lab, postgres_url, "zen.spamhaus.org", LISTED)
    procs = [mailtriage(values, "--once", "--json") for _ in range(2)]
    alerts = [a for p in procs for a in alerts_of(p)]
    assert [(a["kind"], a["target"]) for a in alerts] == [("listed", LISTED)]


async def test_a_chat_that_is_down_holds_back_neither_the_other_chat_nor_its_own_order(
    tmp_path: Path,
) -> None:
    clock, up, down = Clock(), Chat("up"), Chat("down")
    down.down = True
    runtime = await Runtime.open(
        load_settings(environ=quiet_settings(tmp_path, MAILTRIAGE_WATCH="192.0.2.1,192.0.2.2"))
    )
    lists = FakeLists({"192.0.2.1", "192.0.2.2"})
    monitor = Monitor(runtime, [up, down], holder="a", clock=clock, checker=lists)
    try:
        assert len(await monitor.run_once() or []) == 2
        assert len(up.posts) == 2 and down.posts == []
        lists.listed.clear()  # both delisted while the chat is still down
        clock.now += 10
        assert len(await monitor.run_once() or []) == 2
        # a restart in between: nothing overtakes the alert that waits for its retry
        restarted = Monitor(runtime, [up, down], holder="b", clock=clock, checker=lists)
        down.down = False
        assert await restarted.deliver_due() == 0
        clock.now += backoff(0)
        assert await restarted.deliver_due() == 4
        kinds = [(k, t) for k, t, _ in down.kinds()]
        assert kinds == [
            ("listed", "192.0.2.1"),
            ("listed", "192.0.2.2"),
            ("delisted", "192.0.2.1"),
            ("delisted", "192.0.2.2"),
        ]
        assert [ref for _, ref in down.posts] == [None, None, "msg-1", "msg-2"]
    finally:
        await runtime.close()


async def test_a_crash_between_queueing_an_alert_and_storing_the_state_sends_it_once(
    tmp_path: Path,
) -> None:
    clock, chat = Clock(), Chat()
    runtime = await Runtime.open(
        load_settings(environ=quiet_settings(tmp_path, MAILTRIAGE_WATCH="192.0.2.1"))
    )
    lists = FakeLists({"192.0.2.1"})
    monitor = Monitor(runtime, [chat], holder="a", clock=clock, checker=lists)
    try:
        judged = await sweep(
            await monitor.entries(),
            lists,
            runtime.store,
            ip_lists=zones_for(runtime.ctx.settings, "ip"),
            domain_lists=[],
            now=clock(),
        )
        for alert in judged.alerts:  # queued, then the process dies before storing the states
            await runtime.store.outbox_add(
                alert.key, chat.name, alert.incident, alert.payload(), clock()
            )
        clock.now += 900
        assert len(await monitor.run_once() or []) == 1  # judged again, with the same key
        assert len(chat.posts) == 1 and await runtime.store.outbox_pending() == 0
    finally:
        await runtime.close()


async def test_the_loop_sweeps_delivers_and_hands_the_lease_back_when_stopped(
    tmp_path: Path,
) -> None:
    chat = Chat()
    values = quiet_settings(
        tmp_path, MAILTRIAGE_WATCH="192.0.2.1", MAILTRIAGE_MONITOR_INTERVAL="0.05"
    )
    runtime = await Runtime.open(load_settings(environ=values))
    monitor = Monitor(runtime, [chat], holder="a", checker=FakeLists({"192.0.2.1"}))
    stop = asyncio.Event()
    task = asyncio.create_task(monitor.run(stop))
    try:
        for _ in range(200):
            if chat.posts:
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.2)  # several more sweeps: still one alert
        stop.set()
        await asyncio.wait_for(task, 5)
        assert chat.kinds() == [("listed", "192.0.2.1", "bl1.dnsbl.lab.test")]
        assert await runtime.store.lease_acquire("monitor", "b", 60, time.time())
    finally:
        stop.set()
        await runtime.close()


async def test_the_configured_watch_list_is_kept_in_step_with_chat_additions(
    tmp_path: Path, monitors: list[Monitor]
) -> None:
    async def targets(watch: str | None) -> list[tuple[str, str]]:
        more = {} if watch is None else {"MAILTRIAGE_WATCH": watch}
        m = await open_monitor(monitors, quiet_settings(tmp_path, **more), Chat(), Clock())
        return [(e.target, e.source) for e in await m.entries()]

    assert await targets("192.0.2.1, 198.51.100.0/24") == [
        ("192.0.2.1", "config"),
        ("198.51.100.0/24", "config"),
    ]
    await monitors[0].runtime.store.watch_add(WatchEntry("example.org", "domain", "slack:U1", 1.0))
    assert len(await targets(None)) == 3  # a run without the setting removes nothing
    assert await targets("192.0.2.1") == [("example.org", "chat"), ("192.0.2.1", "config")]


async def test_a_dead_replica_hands_the_lease_over(tmp_path: Path, monitors: list[Monitor]) -> None:
    clock = Clock()
    values = {"MAILTRIAGE_DB": f"sqlite:///{tmp_path / 'm.db'}"}
    a = await open_monitor(monitors, values, Chat(), clock, holder="a")
    b = await open_monitor(monitors, values, Chat(), clock, holder="b")
    assert await a.lead() and not await b.lead()
    clock.now += a.lease_ttl / 2
    assert await a.lead() and not await b.lead()  # a renews
    clock.now += a.lease_ttl + 1  # a died: it renews no more
    assert await b.lead() and not await a.lead()


async def test_a_bad_watch_entry_in_the_configuration_is_named(
    tmp_path: Path, monitors: list[Monitor]
) -> None:
    values = {"MAILTRIAGE_DB": f"sqlite:///{tmp_path / 'm.db'}", "MAILTRIAGE_WATCH": "10.0.0.0/8"}
    with pytest.raises(ConfigError, match="MAILTRIAGE_WATCH"):
        await open_monitor(monitors, values, Chat(), Clock())


def test_retries_back_off_exponentially_up_to_an_hour() -> None:
    assert [backoff(n) for n in range(3)] == [30.0, 60.0, 120.0]
    assert backoff(50) == 3600.0


async def test_a_list_dropped_from_the_settings_is_forgotten_without_a_word(
    tmp_path: Path, monitors: list[Monitor]
) -> None:
    clock, chat = Clock(), Chat()
    both = quiet_settings(
        tmp_path, MAILTRIAGE_WATCH="192.0.2.1", MAILTRIAGE_DNSBL_ZONES=f"{KEPT},{DROPPED}"
    )
    first = await open_monitor(monitors, both, chat, clock, checker=FakeLists({"192.0.2.1"}))
    assert {a.zone for a in await first.run_once() or []} == {KEPT, DROPPED}
    assert len(chat.posts) == 2
    store = first.runtime.store
    assert await store.thread_get("chat", f"192.0.2.1|{DROPPED}") is not None

    # restarted with one list fewer; the address is delisted everywhere at the same time
    clock.now += 900
    one = await open_monitor(
        monitors, {**both, "MAILTRIAGE_DNSBL_ZONES": KEPT}, chat, clock, checker=FakeLists(set())
    )
    assert [(a.kind, a.zone) for a in await one.run_once() or []] == [("delisted", KEPT)]
    assert chat.kinds()[2:] == [("delisted", "192.0.2.1", KEPT)]
    assert {s.zone for s in await store.listing_all()} == {KEPT}
    assert await store.thread_get("chat", f"192.0.2.1|{DROPPED}") is None
    assert await store.thread_get("chat", f"192.0.2.1|{KEPT}") == "msg-1"

    # configured again, the list starts afresh: a listing there is a new incident
    clock.now += 900
    again = await open_monitor(monitors, both, chat, clock, checker=FakeLists({"192.0.2.1"}))
    assert {(a.kind, a.zone) for a in await again.run_once() or []} == {
        ("listed", KEPT),
        ("listed", DROPPED),
    }
    assert [ref for _, ref in chat.posts[3:]] == [None, None]


async def test_queued_alerts_of_a_dropped_list_are_cancelled(
    tmp_path: Path, monitors: list[Monitor]
) -> None:
    clock, chat = Clock(), Chat()
    both = quiet_settings(
        tmp_path, MAILTRIAGE_WATCH="192.0.2.1", MAILTRIAGE_DNSBL_ZONES=f"{KEPT},{DROPPED}"
    )
    chat.down = True
    first = await open_monitor(monitors, both, chat, clock, checker=FakeLists({"192.0.2.1"}))
    assert len(await first.run_once() or []) == 2
    dropped = counted("mailtriage_alerts_failed_total", destination="chat", reason="list_dropped")
    chat.down = False
    clock.now += 900
    one = await open_monitor(
        monitors,
        {**both, "MAILTRIAGE_DNSBL_ZONES": KEPT},
        chat,
        clock,
        checker=FakeLists({"192.0.2.1"}),
    )
    assert await one.run_once() == []
    assert chat.kinds() == [("listed", "192.0.2.1", KEPT)]
    assert await one.runtime.store.outbox_pending() == 0
    assert (
        counted("mailtriage_alerts_failed_total", destination="chat", reason="list_dropped")
        == dropped + 1
    )


async def test_a_target_watched_again_after_its_removal_is_alerted_again(
    tmp_path: Path, monitors: list[Monitor]
) -> None:
    clock, chat = Clock(), Chat()
    lists = FakeLists({"192.0.2.9"})
    monitor = await open_monitor(monitors, quiet_settings(tmp_path), chat, clock, checker=lists)
    store = monitor.runtime.store
    entry = WatchEntry("192.0.2.9", "ip", "slack:U1", clock.now)
    await store.watch_add(entry)
    assert [a.kind for a in await monitor.run_once() or []] == ["listed"]
    assert await store.watch_remove("192.0.2.9")
    clock.now += 900
    assert await monitor.run_once() == []
    await store.watch_add(entry)
    clock.now += 900
    assert [a.kind for a in await monitor.run_once() or []] == ["listed"]
    assert [ref for _, ref in chat.posts] == [None, None]
