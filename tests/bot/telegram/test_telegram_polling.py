"""The Telegram adapter over long polling: real python-telegram-bot against the fake Bot API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.render.telegram import render
from bot.runtime import Runtime
from bot.store.sql import SqlStore
from bot.telegram.adapter import TelegramAdapter
from handlers.reply import Reply, Section
from handlers.request import Context, Request
from tests.bot.telegram.telegram_rig import (
    Asked,
    answer_with,
    long_reply,
    running_bot,
    settings_for,
)
from tests.fakes.telegram_api import BOT_USERNAME, FakeTelegramAPI
from tests.fakes.telegram_html import check_message

GROUP = -1001234567890


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeTelegramAPI]:
    async with FakeTelegramAPI().running() as api:
        yield api


async def test_a_command_in_a_private_chat_is_answered_as_a_reply(
    fake_api: FakeTelegramAPI, store: SqlStore
) -> None:
    ask = answer_with("example.com", "Mail to example.com should arrive.")
    async with running_bot(fake_api, store, ask):
        update = fake_api.deliver(fake_api.message_update("/mailcheck example.com", chat_id=42))
        (sent,) = await fake_api.wait_sent(1)
    (req,) = ask.requests
    assert (req.text, req.user, req.platform, req.channel, req.thread, req.explicit) == (
        "/mailcheck example.com",
        "42",
        "telegram",
        "42",
        None,
        True,
    )
    assert sent.chat_id == "42"
    assert sent.parse_mode == "HTML"
    assert sent.reply_to == update["message"]["message_id"]
    assert "Mail to example.com should arrive." in sent.shown


async def test_a_command_addressed_to_the_bot_in_a_group_is_answered_and_one_for_another_bot_is_not(
    fake_api: FakeTelegramAPI, store: SqlStore
) -> None:
    ask = answer_with()
    async with running_bot(fake_api, store, ask):
        other = fake_api.message_update(
            "/mailcheck@OtherBot a.example", chat_id=GROUP, chat_type="supergroup"
        )
        ours = fake_api.message_update(
            f"/mailcheck@{BOT_USERNAME} b.example", chat_id=GROUP, chat_type="supergroup", user_id=7
        )
        fake_api.deliver(other)
        fake_api.deliver(ours)
        (sent,) = await fake_api.wait_sent(1)
        await asyncio.sleep(0.3)
    assert [r.text for r in ask.requests] == [f"/mailcheck@{BOT_USERNAME} b.example"]
    assert ask.requests[0].explicit and ask.requests[0].user == "7"
    assert ask.requests[0].channel == str(GROUP)
    assert sent.chat_id == str(GROUP) and sent.reply_to == ours["message"]["message_id"]


async def test_plain_group_chatter_is_overheard_and_left_unanswered(
    fake_api: FakeTelegramAPI, store: SqlStore
) -> None:
    ask = Asked(lambda req: None if not req.explicit else Reply(title="t", summary="s"))
    async with running_bot(fake_api, store, ask):
        fake_api.deliver(
            fake_api.message_update("lunch at noon?", chat_id=GROUP, chat_type="supergroup")
        )
        fake_api.deliver(
            fake_api.message_update("/weather taipei", chat_id=GROUP, chat_type="supergroup")
        )
        fake_api.deliver(
            fake_api.message_update(
                f"@{BOT_USERNAME} what now?", chat_id=GROUP, chat_type="supergroup"
            )
        )
        (sent,) = await fake_api.wait_sent(1)
    assert sorted((r.text, r.explicit) for r in ask.requests) == [
        ("/weather taipei", False),
        ("lunch at noon?", False),
        ("what now?", True),
    ]
    assert "s" in sent.shown


async def test_a_pasted_bounce_in_a_forum_topic_is_answered_in_that_topic(
    fake_api: FakeTelegramAPI, store: SqlStore
) -> None:
    bounce = "550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown"
    ask = answer_with("bob@example.com does not exist", "Check the address for typos.")
    async with running_bot(fake_api, store, ask):
        update = fake_api.deliver(
            fake_api.message_update(
                bounce, chat_id=GROUP, chat_type="supergroup", topic=77, forwarded=True
            )
        )
        (sent,) = await fake_api.wait_sent(1)
    (req,) = ask.requests
    assert req.text == bounce and req.thread == "77" and not req.explicit
    assert sent.message_thread_id == 77
    assert sent.reply_to == update["message"]["message_id"]


async def test_a_long_answer_is_split_into_messages_that_chain_under_the_first(
    fake_api: FakeTelegramAPI, store: SqlStore
) -> None:
    ask = Asked(lambda req: long_reply(200))
    async with running_bot(fake_api, store, ask):
        update = fake_api.deliver(
            fake_api.message_update("a bounce", chat_id=GROUP, chat_type="supergroup", topic=5)
        )
        sent = await fake_api.wait_sent(len(render(long_reply(200)).messages))
    assert len(sent) == 8
    assert all(len(m.shown) <= 4096 and len(m.text) <= 4096 for m in sent)
    assert sent[0].reply_to == update["message"]["message_id"]
    assert {m.reply_to for m in sent[1:]} == {sent[0].message_id}
    assert {m.message_thread_id for m in sent} == {5}
    shown = "\n".join(m.shown for m in sent)
    assert shown.count("line 0199: 550 5.1.1 <user199@example.com> User unknown") == 2


async def test_hostile_bounce_text_arrives_exactly_as_written(
    fake_api: FakeTelegramAPI, store: SqlStore
) -> None:
    hostile = "<a@b> & <<b>> </pre> &amp; _x_ *y* `z` <script>alert(1)</script>"
    ask = Asked(
        lambda req: Reply(
            title=hostile,
            summary=hostile,
            sections=(Section(heading=hostile, fields=((hostile, hostile),), code=hostile),),
            steps=(hostile,),
        )
    )
    async with running_bot(fake_api, store, ask):
        fake_api.deliver(fake_api.message_update(hostile))
        (sent,) = await fake_api.wait_sent(1)
    assert all(c.status == 200 for c in fake_api.calls if c.method == "sendMessage")
    assert check_message(sent.text, "HTML") == sent.shown
    assert sent.shown.count(hostile) == 7


async def test_a_429_is_waited_out_and_the_answer_still_arrives(
    fake_api: FakeTelegramAPI, store: SqlStore
) -> None:
    fake_api.throttle("sendMessage", retry_after=1)
    ask = answer_with()
    async with running_bot(fake_api, store, ask):
        fake_api.deliver(fake_api.message_update("/help"))
        await fake_api.wait_sent(1)
    statuses = [c.status for c in fake_api.calls if c.method == "sendMessage"]
    assert statuses == [429, 200]


async def test_a_chat_not_on_the_allow_list_is_told_why(
    fake_api: FakeTelegramAPI, store: SqlStore
) -> None:
    ask = answer_with()
    async with running_bot(fake_api, store, ask, telegram_allowed_chats=("-100999",)):
        fake_api.deliver(
            fake_api.message_update("overheard", chat_id=GROUP, chat_type="supergroup")
        )
        fake_api.deliver(fake_api.message_update("/mailcheck example.com", chat_id=42))
        (sent,) = await fake_api.wait_sent(1)
    assert ask.requests == []
    assert sent.chat_id == "42"
    assert "TELEGRAM_ALLOWED_CHATS" in sent.shown and "42" in sent.shown


async def test_a_crash_while_answering_gets_an_apology_and_the_bot_keeps_going(
    fake_api: FakeTelegramAPI, store: SqlStore
) -> None:
    def answer(req: Request) -> Reply:
        if "crash" in req.text:
            raise RuntimeError("boom")
        return Reply(title="Second", summary="answered")

    async with running_bot(fake_api, store, Asked(answer)):
        crash = fake_api.deliver(fake_api.message_update("/mailcheck crash.example"))
        fine = fake_api.deliver(fake_api.message_update("/mailcheck fine.example"))
        sent = {m.reply_to: m.shown for m in await fake_api.wait_sent(2)}
    apology = sent[crash["message"]["message_id"]]
    assert "Incident id:" in apology and "boom" not in apology
    assert "answered" in sent[fine["message"]["message_id"]]


async def test_help_and_lang_through_the_real_dispatcher(
    fake_api: FakeTelegramAPI, store: SqlStore
) -> None:
    settings = settings_for(fake_api)
    runtime = Runtime(settings, store, Context(settings=settings.handler_settings(), store=store))
    async with running_bot(fake_api, store, runtime.ask):
        fake_api.deliver(fake_api.message_update("/lang zh-TW"))
        await fake_api.wait_sent(1)
        fake_api.deliver(fake_api.message_update("/help"))
        first, second = await fake_api.wait_sent(2)
    assert "繁體中文" in first.shown
    assert "/mailcheck" in second.shown and "指令" in second.shown


async def test_a_command_for_the_bot_by_name_in_a_group_reaches_the_real_dispatcher(
    fake_api: FakeTelegramAPI, store: SqlStore
) -> None:
    settings = settings_for(fake_api)
    runtime = Runtime(settings, store, Context(settings=settings.handler_settings(), store=store))
    async with running_bot(fake_api, store, runtime.ask):
        fake_api.deliver(
            fake_api.message_update(f"/help@{BOT_USERNAME}", chat_id=GROUP, chat_type="supergroup")
        )
        (sent,) = await fake_api.wait_sent(1)
    assert sent.chat_id == str(GROUP) and "/mailcheck" in sent.shown


async def test_stopping_finishes_the_answer_in_flight(
    fake_api: FakeTelegramAPI, store: SqlStore
) -> None:
    started = asyncio.Event()

    async def slow(req: Request) -> Reply:
        started.set()
        await asyncio.sleep(0.5)
        return Reply(title="Done", summary="finished after stop was asked")

    adapter = TelegramAdapter(settings_for(fake_api), slow, store)
    await adapter.start()
    fake_api.deliver(fake_api.message_update("/mailcheck slow.example"))
    await asyncio.wait_for(started.wait(), 10)
    await adapter.stop()
    (sent,) = fake_api.sent
    assert "finished after stop was asked" in sent.shown


async def test_stopping_is_bounded_when_an_answer_hangs(
    fake_api: FakeTelegramAPI, store: SqlStore
) -> None:
    started = asyncio.Event()
    release = asyncio.Event()

    async def stuck(req: Request) -> Reply:
        started.set()
        await release.wait()
        return Reply(title="Late", summary="too late")

    adapter = TelegramAdapter(settings_for(fake_api), stuck, store, stop_timeout=0.5)
    await adapter.start()
    fake_api.deliver(fake_api.message_update("/mailcheck stuck.example"))
    await asyncio.wait_for(started.wait(), 10)
    await asyncio.wait_for(adapter.stop(), 5)
    release.set()
    assert fake_api.sent == []
