"""Telegram start-up and webhook mode: setWebhook with a secret, the route that checks it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from bot.config import Settings
from bot.startup import StartupError
from bot.store.sql import SqlStore
from bot.telegram.adapter import TelegramAdapter
from tests.bot.telegram.telegram_rig import answer_with, running_bot, settings_for
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.lab.binaries import free_port

SECRET = "s3cret-token_value"
WEBHOOK = {
    "telegram_webhook_url": "https://bot.example.net/telegram/webhook",
    "telegram_webhook_secret": SECRET,
    "http_port": 8443,
}


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeTelegramAPI]:
    async with FakeTelegramAPI().running() as api:
        yield api


def client_for(adapter: TelegramAdapter) -> httpx.AsyncClient:
    app = Starlette(routes=adapter.routes())
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bot.test")


async def post(client: httpx.AsyncClient, update: dict[str, Any], secret: str | None) -> int:
    headers = {"content-type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    response = await client.post("/telegram/webhook", content=json.dumps(update), headers=headers)
    return response.status_code


async def test_start_registers_the_webhook_with_its_secret_and_does_not_poll(
    fake_api: FakeTelegramAPI, store: SqlStore
) -> None:
    async with running_bot(fake_api, store, answer_with(), **WEBHOOK) as adapter:
        assert [r.path for r in adapter.routes()] == ["/telegram/webhook"]  # type: ignore[attr-defined]
    assert fake_api.webhook["url"] == WEBHOOK["telegram_webhook_url"]
    assert fake_api.webhook["secret_token"] == SECRET
    assert fake_api.webhook["allowed_updates"] == ["message"]
    assert not [c for c in fake_api.calls if c.method == "getUpdates"]


async def test_an_update_with_the_secret_is_answered_and_without_it_refused(
    fake_api: FakeTelegramAPI, store: SqlStore
) -> None:
    ask = answer_with("example.com", "Looks fine.")
    async with (
        running_bot(fake_api, store, ask, **WEBHOOK) as adapter,
        client_for(adapter) as client,
    ):
        update = fake_api.message_update("/mailcheck example.com", chat_id=42)
        assert await post(client, update, None) == 403
        assert await post(client, update, "wrong") == 403
        assert await post(client, update, SECRET) == 200
        (sent,) = await fake_api.wait_sent(1)
    assert len(ask.requests) == 1
    assert sent.reply_to == update["message"]["message_id"] and "Looks fine." in sent.shown


async def test_a_redelivered_update_is_answered_once(
    fake_api: FakeTelegramAPI, store: SqlStore
) -> None:
    ask = answer_with()
    async with (
        running_bot(fake_api, store, ask, **WEBHOOK) as adapter,
        client_for(adapter) as client,
    ):
        update = fake_api.message_update("/mailcheck example.com")
        assert await post(client, update, SECRET) == 200
        await fake_api.wait_sent(1)
        assert await post(client, update, SECRET) == 200
        later = fake_api.message_update("/mailcheck example.org")
        assert await post(client, later, SECRET) == 200
        await fake_api.wait_sent(2)
    assert [r.text for r in ask.requests] == ["/mailcheck example.com", "/mailcheck example.org"]


async def test_a_body_that_is_not_an_update_is_a_400(
    fake_api: FakeTelegramAPI, store: SqlStore
) -> None:
    async with (
        running_bot(fake_api, store, answer_with(), **WEBHOOK) as adapter,
        client_for(adapter) as client,
    ):
        response = await client.post(
            "/telegram/webhook",
            content=b"{not json",
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
        )
    assert response.status_code == 400


async def test_polling_mode_serves_no_routes(fake_api: FakeTelegramAPI, store: SqlStore) -> None:
    async with running_bot(fake_api, store, answer_with()) as adapter:
        assert adapter.routes() == []


async def test_start_publishes_the_command_menu_in_both_languages(
    fake_api: FakeTelegramAPI, store: SqlStore
) -> None:
    async with running_bot(fake_api, store, answer_with()):
        pass
    menus = {
        c.params.get("language_code"): c.params["commands"]
        for c in fake_api.calls
        if c.method == "setMyCommands"
    }
    assert set(menus) == {None, "zh"}
    assert [c["command"] for c in menus[None]] == [
        "mailcheck",
        "mailtrack",
        "mailwatch",
        "lang",
        "help",
    ]
    assert all(3 <= len(c["description"]) <= 256 for menu in menus.values() for c in menu)
    assert "黑名單" in menus["zh"][0]["description"]


async def test_a_token_the_bot_api_refuses_stops_start_up_naming_the_setting(
    fake_api: FakeTelegramAPI, store: SqlStore
) -> None:
    settings = settings_for(fake_api, telegram_bot_token="999:not-the-token")
    with pytest.raises(StartupError, match="TELEGRAM_BOT_TOKEN"):
        await TelegramAdapter(settings, answer_with(), store).start()


async def test_an_unreachable_bot_api_stops_start_up_naming_the_setting(store: SqlStore) -> None:
    settings = Settings(
        telegram_bot_token="1:abc", telegram_api_url=f"http://127.0.0.1:{free_port()}/bot"
    )
    with pytest.raises(StartupError, match="TELEGRAM_API_URL"):
        await TelegramAdapter(settings, answer_with(), store).start()


async def test_a_webhook_url_telegram_refuses_stops_start_up_naming_the_setting(
    fake_api: FakeTelegramAPI, store: SqlStore
) -> None:
    plain_http = {**WEBHOOK, "telegram_webhook_url": "http://bot.example.net/telegram/webhook"}
    adapter = TelegramAdapter(settings_for(fake_api, **plain_http), answer_with(), store)
    with pytest.raises(StartupError, match="TELEGRAM_WEBHOOK_URL"):
        await adapter.start()
