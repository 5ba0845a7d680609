"""In Telegram, usage notes name /help, the command the bot's menu offers (not Slack's /mailhelp)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.runtime import Runtime
from bot.store.sql import SqlStore
from bot.telegram.adapter import MENU
from handlers.request import Context
from tests.bot.telegram.telegram_rig import running_bot, settings_for
from tests.fakes.telegram_api import FakeTelegramAPI


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeTelegramAPI]:
    async with FakeTelegramAPI().running() as api:
        yield api


async def test_an_unknown_command_gets_a_note_naming_the_menus_help_command(
    fake_api: FakeTelegramAPI, store: SqlStore
) -> None:
    settings = settings_for(fake_api)
    runtime = Runtime(settings, store, Context(settings=settings.handler_settings(), store=store))
    async with running_bot(fake_api, store, runtime.ask):
        fake_api.deliver(fake_api.message_update("/weather taipei"))
        (en,) = await fake_api.wait_sent(1)
        await store.set_lang("telegram", "42", "zh-TW")
        fake_api.deliver(fake_api.message_update("/weather taipei"))
        _, zh = await fake_api.wait_sent(2)
    assert "help" in MENU
    assert ", /help. Or paste a bounce." in en.shown and "/mailhelp" not in en.shown
    assert "、/help。也可以直接貼上退信。" in zh.shown and "/mailhelp" not in zh.shown
