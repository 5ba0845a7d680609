"""Alerts to TELEGRAM_ALERT_CHAT: its topic, follow-ups replying to the first, and failures raised."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram.error import Forbidden

from bot.store.sql import SqlStore
from bot.telegram.adapter import TelegramAdapter, alert_target, file_url
from handlers.reply import Kind, Reply, Status
from tests.bot.telegram.telegram_rig import answer_with, long_reply, settings_for
from tests.fakes.telegram_api import FakeTelegramAPI

LISTED = Reply(
    title="192.0.2.25 is listed on zen.spamhaus.org",
    summary="Listed since 12:00 UTC: 127.0.0.2 <SBL> & more",
    status=Status.FAIL,
    kind=Kind.ALERT,
)
CLEARED = Reply(
    title="192.0.2.25 is no longer listed", summary="Cleared at 14:00 UTC.", kind=Kind.ALERT
)


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeTelegramAPI]:
    async with FakeTelegramAPI().running() as api:
        yield api


async def test_an_alert_goes_to_the_alert_topic_and_its_follow_up_replies_to_it(
    fake_api: FakeTelegramAPI, store: SqlStore
) -> None:
    settings = settings_for(fake_api, telegram_alert_chat="-100555:9")
    adapter = TelegramAdapter(settings, answer_with(), store)  # never started: the monitor CLI
    try:
        ref = await adapter.post_alert(LISTED, None)
        again = await adapter.post_alert(CLEARED, ref)
    finally:
        await adapter.stop()
    first, follow_up = fake_api.sent
    assert (first.chat_id, first.message_thread_id, first.reply_to) == ("-100555", 9, None)
    assert ref == str(first.message_id) and again == ref
    assert "127.0.0.2 <SBL> & more" in first.shown
    assert (follow_up.chat_id, follow_up.message_thread_id) == ("-100555", 9)
    assert follow_up.reply_to == first.message_id
    assert not [c for c in fake_api.calls if c.method == "getUpdates"]


async def test_a_long_alert_is_split_and_threaded_under_its_first_message(
    fake_api: FakeTelegramAPI, store: SqlStore
) -> None:
    adapter = TelegramAdapter(
        settings_for(fake_api, telegram_alert_chat="-100555"), answer_with(), store
    )
    try:
        ref = await adapter.post_alert(long_reply(), None)
    finally:
        await adapter.stop()
    first, *rest = fake_api.sent
    assert rest and ref == str(first.message_id)
    assert {m.reply_to for m in rest} == {first.message_id}
    assert {m.message_thread_id for m in fake_api.sent} == {None}


async def test_an_alert_that_cannot_be_delivered_raises_so_the_outbox_retries(
    fake_api: FakeTelegramAPI, store: SqlStore
) -> None:
    fake_api.forbid_chat("-100555")
    adapter = TelegramAdapter(
        settings_for(fake_api, telegram_alert_chat="-100555"), answer_with(), store
    )
    try:
        with pytest.raises(Forbidden):
            await adapter.post_alert(LISTED, None)
    finally:
        await adapter.stop()
    assert fake_api.sent == []


async def test_an_alert_chat_that_became_a_supergroup_is_named_with_its_new_id(
    fake_api: FakeTelegramAPI, store: SqlStore
) -> None:
    fake_api.migrate_chat("-4001", to=-1004001)
    settings = settings_for(fake_api, telegram_alert_chat="-4001")
    adapter = TelegramAdapter(settings, answer_with(), store)
    try:
        with pytest.raises(RuntimeError, match=r"TELEGRAM_ALERT_CHAT.*-1004001"):
            await adapter.post_alert(LISTED, None)
    finally:
        await adapter.stop()


def test_the_alert_chat_setting_names_a_chat_and_an_optional_topic() -> None:
    assert alert_target("-1001234") == (-1001234, None)
    assert alert_target("-1001234:7") == (-1001234, 7)
    assert alert_target("@mailops") == ("@mailops", None)
    assert alert_target("@mailops:3") == ("@mailops", 3)


def test_the_file_url_sits_beside_the_api_url() -> None:
    assert file_url("https://api.telegram.org/bot") == "https://api.telegram.org/file/bot"
    assert file_url("http://127.0.0.1:8081/bot") == "http://127.0.0.1:8081/file/bot"
