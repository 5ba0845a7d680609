"""The Telegram adapter: a python-telegram-bot Application (long polling or webhook) and alerts."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from starlette.routing import BaseRoute
from telegram import BotCommand, Update
from telegram.error import (
    BadRequest,
    ChatMigrated,
    InvalidToken,
    NetworkError,
    TelegramError,
)
from telegram.ext import AIORateLimiter, Application, MessageHandler, filters

from bot.config import Settings
from bot.startup import StartupError
from bot.telegram.delivery import send_reply
from bot.telegram.handlers import Ask, Responder, on_error
from bot.telegram.webhook import webhook_route
from handlers.reply import Reply
from handlers.store import Store
from knowledge.loader import load

log = logging.getLogger("mailtriage.telegram")

AnyApplication = Application[Any, Any, Any, Any, Any, Any]

MAX_RETRIES = 3  # RetryAfter (429) answers waited out per request before giving up
CONCURRENT_UPDATES = 8
MENU = ("mailcheck", "mailtrack", "mailwatch", "lang", "help")


def file_url(api_url: str) -> str:
    """Bot API file URL beside `api_url` (https://api.telegram.org/bot -> .../file/bot)."""
    head, slash, tail = api_url.rstrip("/").rpartition("/")
    return f"{head}{slash}file/{tail}" if slash else api_url


def alert_target(value: str) -> tuple[int | str, int | None]:
    """TELEGRAM_ALERT_CHAT as (chat id, topic id): "-1001234" or "-1001234:7" or "@channel"."""
    chat, sep, topic = value.strip().rpartition(":")
    if not sep or not topic.isdigit():
        chat, topic = value.strip(), ""
    chat_id: int | str = int(chat) if chat.lstrip("-").isdigit() else chat
    return chat_id, int(topic) if topic else None


def build_application(settings: Settings, webhook: bool) -> AnyApplication:
    token = settings.telegram_bot_token
    if not token:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    builder = (
        Application.builder()
        .token(token)
        .base_url(settings.telegram_api_url)
        .base_file_url(file_url(settings.telegram_api_url))
        .rate_limiter(AIORateLimiter(max_retries=MAX_RETRIES))
        .concurrent_updates(CONCURRENT_UPDATES)
    )
    if webhook:
        builder = builder.updater(None)
    application: AnyApplication = builder.build()
    return application


class TelegramAdapter:
    """Receives messages by long polling (or a webhook) and posts alerts to the alert chat."""

    name = "telegram"

    def __init__(
        self, settings: Settings, ask: Ask, store: Store, *, stop_timeout: float = 15.0
    ) -> None:
        self.settings = settings
        self.stop_timeout = stop_timeout
        self.webhook = bool(settings.telegram_webhook_url)
        self.application = build_application(settings, self.webhook)
        self.application.add_handler(
            MessageHandler(
                filters.UpdateType.MESSAGE
                & (filters.TEXT | filters.CAPTION | filters.Document.ALL),
                Responder(settings, ask, store),
            )
        )
        self.application.add_error_handler(on_error)
        self._init_lock = asyncio.Lock()
        self._initialized = False

    async def _initialize(self) -> None:
        async with self._init_lock:
            if not self._initialized:
                await self.application.initialize()
                self._initialized = True

    async def start(self) -> None:
        """Connect (getMe), then long polling, or setWebhook in webhook mode.

        Raises StartupError naming the setting to fix when the Bot API refuses or is unreachable.
        """
        try:
            await self._initialize()
            await self._receive()
        except InvalidToken as exc:
            await self.stop()
            raise StartupError(
                f"TELEGRAM_BOT_TOKEN: the Bot API at {self.settings.telegram_api_url} "
                f"refused the token ({exc}); copy it again from @BotFather"
            ) from exc
        except BadRequest as exc:
            await self.stop()
            raise StartupError(
                f"TELEGRAM_WEBHOOK_URL: Telegram refused the webhook ({exc}); it must be a public "
                "https:// URL (port 443, 80, 88 or 8443) ending in /telegram/webhook, and "
                "TELEGRAM_WEBHOOK_SECRET 1-256 characters of A-Z, a-z, 0-9, _ and -"
            ) from exc
        except NetworkError as exc:
            await self.stop()
            raise StartupError(
                f"TELEGRAM_API_URL: cannot reach the Bot API at "
                f"{self.settings.telegram_api_url} ({exc})"
            ) from exc

    async def _publish_commands(self) -> None:
        """The command menu Telegram clients show, in English and (for `zh` users) Chinese."""
        kb = load()
        for lang, code in (("en", None), ("zh-TW", "zh")):
            menu = [BotCommand(c, kb.text(f"telegram.command.{c}", lang)) for c in MENU]
            try:
                await self.application.bot.set_my_commands(menu, language_code=code)
            except TelegramError as exc:  # a missing menu must not keep the bot from answering
                log.warning("telegram: could not set the command menu: %s", exc)

    async def _receive(self) -> None:
        app = self.application
        await self._publish_commands()
        if self.webhook:
            await app.start()
            await app.bot.set_webhook(
                url=self.settings.telegram_webhook_url or "",
                secret_token=self.settings.telegram_webhook_secret,
                allowed_updates=[Update.MESSAGE],
            )
            log.info("telegram: webhook mode, as @%s", app.bot.username)
        else:
            assert app.updater is not None
            await app.updater.start_polling(allowed_updates=[Update.MESSAGE])
            await app.start()
            log.info("telegram: long polling, as @%s", app.bot.username)

    async def stop(self) -> None:
        app = self.application
        try:
            async with asyncio.timeout(self.stop_timeout):
                if app.updater is not None and app.updater.running:
                    await app.updater.stop()
                if app.running:
                    await app.stop()  # waits for the updates being answered
        except TimeoutError:
            log.warning("telegram: answers still in flight after %ss; stopping", self.stop_timeout)
        if self._initialized:
            await app.shutdown()
            self._initialized = False

    def routes(self) -> list[BaseRoute]:
        if not self.webhook:
            return []
        return [webhook_route(self.application, self.settings.telegram_webhook_secret or "")]

    async def post_alert(self, reply: Reply, thread_ref: str | None) -> str:
        """Post to TELEGRAM_ALERT_CHAT (and its topic); follow-ups reply to `thread_ref`."""
        if not self.settings.telegram_alert_chat:
            raise RuntimeError("TELEGRAM_ALERT_CHAT is not set")
        await self._initialize()
        chat_id, topic = alert_target(self.settings.telegram_alert_chat)
        reply_to = int(thread_ref) if thread_ref and thread_ref.isdigit() else None
        try:
            first = await send_reply(self.application.bot, chat_id, reply, reply_to, topic)
        except ChatMigrated as exc:
            raise RuntimeError(
                f"TELEGRAM_ALERT_CHAT: the group {chat_id} became a supergroup; "
                f"set it to {exc.new_chat_id}"
            ) from exc
        return thread_ref if reply_to is not None and thread_ref else str(first)
