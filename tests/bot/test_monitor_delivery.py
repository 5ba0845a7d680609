"""Alert delivery: refusals given up after a bound, temporary failures retried, and a replica dying
between the chat's acceptance and the outbox record (the alert is then in doubt)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import warnings
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
import httpx
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.slack_response import SlackResponse
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.warnings import PTBDeprecationWarning

from bot.config import load_settings
from bot.delivery import POST_TIMEOUT, is_refusal
from bot.logs import JsonFormatter
from bot.metrics import REGISTRY
from bot.monitor import Monitor, backoff
from bot.runtime import Runtime
from bot.slack.adapter import SlackAdapter
from bot.telegram.adapter import TelegramAdapter
from handlers.reply import Reply
from tests.bot.monitor_rig import Chat, Clock, FakeLists, LedgerChat, quiet_settings
from tests.fakes.slack_api import BOT_TOKEN, FakeSlackApi
from tests.fakes.telegram_api import FakeTelegramAPI

FIRST, SECOND = "192.0.2.1", "192.0.2.2"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.lab)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'm.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
async def runtimes() -> AsyncIterator[list[Runtime]]:
    opened: list[Runtime] = []
    yield opened
    for r in opened:
        await r.close()


async def start(
    runtimes: list[Runtime],
    values: dict[str, str],
    chats: list[Chat],
    clock: Clock,
    holder: str = "a",
    listed: tuple[str, ...] = (FIRST,),
) -> Monitor:
    """A replica: its own connection to the database, the monitor over it."""
    runtime = await Runtime.open(load_settings(environ=values))
    runtimes.append(runtime)
    lists = FakeLists(set(listed))
    return Monitor(runtime, chats, holder=holder, clock=clock, checker=lists)


def counted(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


# --- refusals and temporary failures ------------------------------------------------------------


async def test_an_alert_the_chat_keeps_refusing_is_given_up_and_the_next_one_goes_out(
    tmp_path: Path, runtimes: list[Runtime], caplog: pytest.LogCaptureFixture
) -> None:
    clock, chat = Clock(), Chat()
    values = quiet_settings(
        tmp_path, MAILTRIAGE_WATCH=f"{FIRST},{SECOND}", MAILTRIAGE_ALERT_MAX_REFUSALS="3"
    )
    monitor = await start(runtimes, values, [chat], clock, listed=(FIRST, SECOND))
    store = monitor.runtime.store
    failed_before = counted("mailtriage_alerts_failed_total", destination="chat", reason="refused")
    chat.refuse = 3
    alerts = await monitor.run_once() or []
    assert [a.target for a in alerts] == [FIRST, SECOND]
    first = alerts[0].key
    item = await store.outbox_get(first, "chat")
    assert item is not None and (item.attempts, item.refusals) == (1, 1)
    assert await monitor.deliver_due() == 0  # not due yet; the second alert waits behind
    clock.now += backoff(0)
    assert await monitor.deliver_due() == 0 and chat.posts == []
    item = await store.outbox_get(first, "chat")
    assert item is not None and (item.attempts, item.refusals, item.failed_at) == (2, 2, None)
    clock.now += backoff(1)
    with caplog.at_level(logging.WARNING, logger="mailtriage.monitor"):
        assert await monitor.deliver_due() == 1  # third refusal: given up, the next one goes out
    assert chat.kinds() == [("listed", SECOND, "bl1.dnsbl.lab.test")]
    given_up = await store.outbox_get(first, "chat")
    assert given_up is not None and given_up.failed_at == clock.now
    assert given_up.refusals == 3 and "bot was kicked" in (given_up.last_error or "")
    assert await store.outbox_pending() == 0
    assert (
        counted("mailtriage_alerts_failed_total", destination="chat", reason="refused")
        == failed_before + 1
    )
    (record,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    line = json.loads(JsonFormatter().format(record))
    assert line["level"] == "error" and "given up" in line["msg"]
    assert (line["destination"], line["alert_key"], line["refusals"]) == ("chat", first, 3)
    assert "kicked" in line["error"]
    clock.now += 3600  # nothing comes back later
    assert await monitor.deliver_due() == 0 and len(chat.posts) == 1


async def test_temporary_failures_keep_the_backoff_and_are_never_given_up(
    tmp_path: Path, runtimes: list[Runtime]
) -> None:
    clock, chat = Clock(), Chat()
    values = quiet_settings(tmp_path, MAILTRIAGE_WATCH=FIRST, MAILTRIAGE_ALERT_MAX_REFUSALS="1")
    monitor = await start(runtimes, values, [chat], clock)
    chat.down = True
    (alert,) = await monitor.run_once() or []
    for n in range(1, 10):
        clock.now += backoff(n - 1)
        await monitor.deliver_due()
    item = await monitor.runtime.store.outbox_get(alert.key, "chat")
    assert item is not None and (item.attempts, item.refusals, item.failed_at) == (10, 0, None)
    assert item.next_at == clock.now + backoff(9) == clock.now + 3600
    chat.down = False
    clock.now += 3600
    assert await monitor.deliver_due() == 1 and len(chat.posts) == 1


async def test_a_refusal_after_temporary_failures_counts_only_refusals(
    tmp_path: Path, runtimes: list[Runtime]
) -> None:
    clock, chat = Clock(), Chat()
    values = quiet_settings(tmp_path, MAILTRIAGE_WATCH=FIRST, MAILTRIAGE_ALERT_MAX_REFUSALS="2")
    monitor = await start(runtimes, values, [chat], clock)
    chat.down = True
    (alert,) = await monitor.run_once() or []
    clock.now += backoff(0)
    await monitor.deliver_due()
    chat.down, chat.refuse = False, 1
    clock.now += backoff(1)
    await monitor.deliver_due()  # refused once after two failures: still open
    item = await monitor.runtime.store.outbox_get(alert.key, "chat")
    assert item is not None and (item.attempts, item.refusals, item.failed_at) == (3, 1, None)
    clock.now += backoff(2)
    assert await monitor.deliver_due() == 1


@pytest.mark.parametrize(
    ("error", "refusal"),
    [
        (lambda: Forbidden("Forbidden: bot was kicked from the supergroup chat"), True),
        (lambda: BadRequest("Bad Request: chat not found"), True),
        (lambda: RuntimeError("TELEGRAM_ALERT_CHAT: the group -4001 became a supergroup"), True),
        (lambda: RuntimeError("SLACK_ALERT_CHANNEL is not set"), True),
        (lambda: RetryAfter(30), False),
        (lambda: TimedOut(), False),
        (lambda: NetworkError("Bad Gateway"), False),
        (lambda: TimeoutError(), False),
        (lambda: ConnectionResetError(104, "Connection reset by peer"), False),
        (lambda: aiohttp.ServerDisconnectedError(), False),
        (lambda: httpx.ConnectError("connection refused"), False),
    ],
)
def test_what_counts_as_the_chat_refusing(error: Callable[[], Exception], refusal: bool) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)  # RetryAfter's int seconds
        assert is_refusal(error()) is refusal


@pytest.mark.parametrize(
    ("status", "body", "refusal"),
    [
        (200, {"ok": False, "error": "is_archived"}, True),
        (200, {"ok": False, "error": "not_in_channel"}, True),
        (200, {"ok": False, "error": "channel_not_found"}, True),
        (200, {"ok": False, "error": "account_inactive"}, True),
        (429, {"ok": False, "error": "ratelimited"}, False),
        (500, "Internal Server Error", False),
        (503, {"ok": False}, False),
        (200, {"ok": False, "error": "internal_error"}, False),
        (200, {"ok": False, "error": "service_unavailable"}, False),
    ],
)
def test_what_counts_as_slack_refusing(
    status: int, body: dict[str, object] | str, refusal: bool
) -> None:
    response = SlackResponse(
        client=None,
        http_verb="POST",
        api_url="https://slack.com/api/chat.postMessage",
        req_args={},
        data=body,  # type: ignore[arg-type]
        headers={},
        status_code=status,
    )
    assert is_refusal(SlackApiError("failed", response)) is refusal


# --- a replica dying between the chat's acceptance and the outbox record ------------------------


async def die_while_posting(monitor: Monitor, chat: Chat) -> None:
    """Lead, sweep, then start delivering and kill the replica in the middle of the chat call."""
    assert await monitor.lead()
    await monitor.sweep_once()
    task = asyncio.create_task(monitor.deliver_due())
    await asyncio.wait_for(chat.hanging.wait(), 5)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await monitor.runtime.close()  # the process is gone; its lease and claim stay behind


async def restart(
    runtimes: list[Runtime], values: dict[str, str], chat: Chat, clock: Clock
) -> Monitor:
    clock.now += 1
    monitor = await start(runtimes, values, [chat], clock, holder="b")
    assert not await monitor.lead()  # the dead replica's lease has not run out yet
    assert await monitor.deliver_due() == 0  # nor could its post have: the alert waits
    clock.now += monitor.lease_ttl + POST_TIMEOUT
    assert await monitor.lead()
    return monitor


async def test_a_chat_that_cannot_look_back_gets_an_alert_in_doubt_again(
    db_url: str, runtimes: list[Runtime]
) -> None:
    clock, chat = Clock(), Chat()
    values = {**quiet_settings(Path()), "MAILTRIAGE_DB": db_url, "MAILTRIAGE_WATCH": FIRST}
    resent = counted("mailtriage_alerts_in_doubt_total", destination="chat", outcome="unknown")
    chat.hang_after = True  # the chat accepts the alert, the replica dies before recording it
    await die_while_posting(await start(runtimes, values, [chat], clock), chat)
    assert len(chat.posts) == 1
    chat.hang_after = False
    monitor = await restart(runtimes, values, chat, clock)
    assert await monitor.deliver_due() == 1
    assert [ref for _, ref in chat.posts] == [None, None]  # at-least-once: it shows twice
    assert (
        counted("mailtriage_alerts_in_doubt_total", destination="chat", outcome="unknown")
        == resent + 1
    )
    assert await monitor.runtime.store.outbox_pending() == 0
    clock.now += 3600
    assert await monitor.deliver_due() == 0 and len(chat.posts) == 2


async def test_a_chat_that_has_the_alert_in_doubt_is_not_sent_it_again(
    db_url: str, runtimes: list[Runtime]
) -> None:
    clock, chat = Clock(), LedgerChat()
    posted_at = clock.now
    values = {**quiet_settings(Path()), "MAILTRIAGE_DB": db_url, "MAILTRIAGE_WATCH": FIRST}
    chat.hang_after = True
    await die_while_posting(await start(runtimes, values, [chat], clock), chat)
    chat.hang_after = False
    monitor = await restart(runtimes, values, chat, clock)
    assert await monitor.deliver_due() == 1
    assert len(chat.posts) == 1  # found by its key: recorded as sent, not posted again
    ((key, thread, since),) = chat.lookups
    assert key == chat.posts[0][0].data["key"] and thread is None
    assert since == posted_at - POST_TIMEOUT  # looked for from just before the claim
    item = await monitor.runtime.store.outbox_get(key, "ledger")
    assert item is not None and item.sent_at == clock.now and item.claim is None
    # the delisting follows up in the thread of the message the dead replica posted
    monitor_lists = monitor.checker()
    assert isinstance(monitor_lists, FakeLists)
    monitor_lists.listed.clear()
    clock.now += 900
    assert [a.kind for a in await monitor.run_once() or []] == ["delisted"]
    assert [ref for _, ref in chat.posts] == [None, "msg-1"]


async def test_an_alert_in_doubt_the_chat_never_got_is_posted_once(
    db_url: str, runtimes: list[Runtime]
) -> None:
    clock, chat = Clock(), LedgerChat()
    values = {**quiet_settings(Path()), "MAILTRIAGE_DB": db_url, "MAILTRIAGE_WATCH": FIRST}
    missing = counted("mailtriage_alerts_in_doubt_total", destination="ledger", outcome="missing")
    chat.hang_before = True  # the replica dies before the chat got the alert
    await die_while_posting(await start(runtimes, values, [chat], clock), chat)
    assert chat.posts == []
    chat.hang_before = False
    monitor = await restart(runtimes, values, chat, clock)
    assert await monitor.deliver_due() == 1
    assert len(chat.posts) == 1 and len(chat.lookups) == 1
    assert (
        counted("mailtriage_alerts_in_doubt_total", destination="ledger", outcome="missing")
        == missing + 1
    )


async def test_an_alert_in_doubt_waits_while_the_chat_cannot_be_asked(
    db_url: str, runtimes: list[Runtime]
) -> None:
    clock, chat = Clock(), LedgerChat()
    values = {**quiet_settings(Path()), "MAILTRIAGE_DB": db_url, "MAILTRIAGE_WATCH": FIRST}
    chat.hang_after = True
    await die_while_posting(await start(runtimes, values, [chat], clock), chat)
    chat.hang_after, chat.ledger_error = False, ConnectionError("history API down (HTTP 503)")
    monitor = await restart(runtimes, values, chat, clock)
    assert await monitor.deliver_due() == 0  # neither posted again nor taken as sent
    key = chat.posts[0][0].data["key"]
    item = await monitor.runtime.store.outbox_get(key, "ledger")
    assert item is not None and item.claim is not None and item.attempts == 1
    chat.ledger_error = None
    assert await monitor.deliver_due() == 0  # asked again only after the backoff
    clock.now += backoff(0)
    assert await monitor.deliver_due() == 1
    assert len(chat.posts) == 1 and len(chat.lookups) == 2


async def test_an_alert_in_doubt_is_posted_again_when_the_chat_will_not_be_asked(
    db_url: str, runtimes: list[Runtime]
) -> None:
    clock, chat = Clock(), LedgerChat()
    values = {**quiet_settings(Path()), "MAILTRIAGE_DB": db_url, "MAILTRIAGE_WATCH": FIRST}
    chat.hang_after = True
    await die_while_posting(await start(runtimes, values, [chat], clock), chat)
    chat.hang_after = False
    chat.ledger_error = RuntimeError("missing_scope: channels:history")  # a refusal: for good
    monitor = await restart(runtimes, values, chat, clock)
    assert await monitor.deliver_due() == 1
    assert len(chat.posts) == 2 and len(chat.lookups) == 1


# --- the real adapters against fake chat APIs -----------------------------------------------------


async def test_slack_5xx_is_retried_and_an_archived_channel_is_given_up(
    tmp_path: Path, runtimes: list[Runtime]
) -> None:
    clock = Clock()
    async with FakeSlackApi() as fake:
        values = quiet_settings(
            tmp_path,
            MAILTRIAGE_WATCH=f"{FIRST},{SECOND}",
            MAILTRIAGE_ALERT_MAX_REFUSALS="2",
            MAILTRIAGE_HTTP_PORT="0",
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_SIGNING_SECRET="secret",
            SLACK_API_URL=fake.api_url,
            SLACK_ALERT_CHANNEL="C0ALERTS1",
        )
        runtime = await Runtime.open(load_settings(environ=values))
        runtimes.append(runtime)
        slack = SlackAdapter(runtime.settings, runtime.ask, runtime.store)
        slack.poster.pacer.interval = 0.0
        monitor = Monitor(
            runtime, [slack], holder="a", clock=clock, checker=FakeLists({FIRST, SECOND})
        )
        fake.fail("chat.postMessage", 500, times=2)  # slack_sdk retries once, then gives up
        first, _ = await monitor.run_once() or []
        item = await runtime.store.outbox_get(first.key, "slack")
        assert item is not None and (item.attempts, item.refusals) == (1, 0)
        fake.fail("chat.postMessage", 200, error="is_archived", times=2)
        clock.now += backoff(0)
        assert await monitor.deliver_due() == 0
        clock.now += backoff(1)
        assert await monitor.deliver_due() == 1
        parents = [c for c in fake.calls_to("chat.postMessage") if "thread_ts" not in c.args]
        assert len(parents) == 5 and SECOND in parents[-1].args["text"]
    given_up = await runtime.store.outbox_get(first.key, "slack")
    assert given_up is not None and given_up.failed_at is not None
    assert (given_up.attempts, given_up.refusals) == (3, 2)
    assert "is_archived" in (given_up.last_error or "")


async def test_a_telegram_chat_that_removed_the_bot_gets_its_alert_given_up(
    tmp_path: Path, runtimes: list[Runtime]
) -> None:
    clock = Clock()
    async with FakeTelegramAPI().running() as fake:
        fake.forbid_chat("-100555")
        values = quiet_settings(
            tmp_path,
            MAILTRIAGE_WATCH=FIRST,
            MAILTRIAGE_ALERT_MAX_REFUSALS="2",
            TELEGRAM_BOT_TOKEN=fake.token,
            TELEGRAM_API_URL=fake.base_url,
            TELEGRAM_ALERT_CHAT="-100555",
        )
        runtime = await Runtime.open(load_settings(environ=values))
        runtimes.append(runtime)
        telegram = TelegramAdapter(runtime.settings, runtime.ask, runtime.store)
        monitor = Monitor(runtime, [telegram], holder="a", clock=clock, checker=FakeLists({FIRST}))
        try:
            (alert,) = await monitor.run_once() or []
            clock.now += backoff(0)
            await monitor.deliver_due()
        finally:
            await telegram.stop()
        assert fake.sent == []
    item = await runtime.store.outbox_get(alert.key, "telegram")
    assert item is not None and item.failed_at == clock.now and item.refusals == 2
    assert "kicked" in (item.last_error or "") and await runtime.store.outbox_pending() == 0


class DiesAfterSlackAccepted:
    """The Slack adapter in a replica that dies right after Slack accepted an alert."""

    def __init__(self, slack: SlackAdapter) -> None:
        self.slack, self.name = slack, slack.name
        self.hanging = asyncio.Event()

    async def post_alert(self, reply: Reply, thread_ref: str | None) -> str:
        await self.slack.post_alert(reply, thread_ref)
        self.hanging.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


async def test_slack_is_asked_about_an_alert_in_doubt_and_not_sent_it_twice(
    tmp_path: Path, runtimes: list[Runtime]
) -> None:
    clock = Clock(1_700_000_000.0)  # the fake Slack's clock
    async with FakeSlackApi() as fake:
        values = quiet_settings(
            tmp_path,
            MAILTRIAGE_WATCH=FIRST,
            MAILTRIAGE_HTTP_PORT="0",
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_SIGNING_SECRET="secret",
            SLACK_API_URL=fake.api_url,
            SLACK_ALERT_CHANNEL="C0ALERTS1",
        )

        async def replica(holder: str) -> Monitor:
            runtime = await Runtime.open(load_settings(environ=values))
            runtimes.append(runtime)
            slack = SlackAdapter(runtime.settings, runtime.ask, runtime.store)
            slack.poster.pacer.interval = 0.0
            checker = FakeLists({FIRST})
            dying = DiesAfterSlackAccepted(slack)
            targets = [dying] if holder == "dies" else [slack]
            return Monitor(runtime, targets, holder=holder, clock=clock, checker=checker)

        doomed = await replica("dies")
        assert await doomed.lead()
        await doomed.sweep_once()
        task = asyncio.create_task(doomed.deliver_due())
        dying = doomed.adapters[0]
        assert isinstance(dying, DiesAfterSlackAccepted)
        await asyncio.wait_for(dying.hanging.wait(), 10)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await doomed.runtime.close()
        parents = [c for c in fake.calls_to("chat.postMessage") if "thread_ts" not in c.args]
        assert len(parents) == 1

        clock.now += 200  # past the dead replica's lease and its post's time limit
        after = await replica("after")
        assert await after.lead() and await after.deliver_due() == 1
        parents = [c for c in fake.calls_to("chat.postMessage") if "thread_ts" not in c.args]
        assert len(parents) == 1  # found by its key in the channel's history: not posted again
        assert len(fake.calls_to("conversations.history")) == 1
        assert await after.runtime.store.outbox_pending() == 0
