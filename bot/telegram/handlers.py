"""The python-telegram-bot callbacks: a Telegram message in, a Request to `ask`, the Reply out.

A document that may be a bounce (bot/telegram/files.py) is read and its text asked like a paste,
after its caption; a document that cannot be read gets a short note when the bot was asked.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import time
from collections.abc import Awaitable, Callable

from telegram import Bot, Message, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.config import Settings
from bot.telegram.delivery import send_reply
from bot.telegram.files import DocumentText, read_document, size_text
from handlers.dispatch import apology, new_incident_id, parse_command
from handlers.reply import Kind, Reply, Status
from handlers.request import Request
from handlers.store import Store
from knowledge.loader import load

log = logging.getLogger("mailtriage.telegram")

Ask = Callable[[Request], Awaitable[Reply | None]]

_ADDRESSED_COMMAND = re.compile(r"^/[A-Za-z0-9_]+@([A-Za-z0-9_]+)")


def topic_of(message: Message) -> int | None:
    """The forum topic a message is in (None outside forum topics and in the General topic)."""
    return message.message_thread_id if message.is_topic_message else None


def to_request(message: Message, bot_id: int, bot_username: str) -> Request | None:
    """The Request for a message, or None when it is not for us (a command for another bot)."""
    text = message.text or message.caption or ""
    if not text.strip() and message.document is None:
        return None
    private = message.chat.type == ChatType.PRIVATE
    addressed = _ADDRESSED_COMMAND.match(text.lstrip())
    if addressed and addressed.group(1).lower() != bot_username.lower():
        return None
    command, _ = parse_command(text)
    # in a group, an unknown `/weather` without a bot name is for some other bot, not a mistake
    ours = command is not None and (private or bool(addressed) or bool(command.target))
    mention = re.compile(rf"@{re.escape(bot_username)}\b", re.IGNORECASE) if bot_username else None
    mentioned = bool(mention and mention.search(text))
    if mention and mentioned and not text.lstrip().startswith("/"):
        text = mention.sub("", text, count=1).strip()
    replied = message.reply_to_message
    reply_to_bot = bool(replied and replied.from_user and replied.from_user.id == bot_id)
    topic = topic_of(message)
    user = message.from_user.id if message.from_user else message.chat.id
    return Request(
        text=text,
        user=str(user),
        platform="telegram",
        channel=str(message.chat.id),
        thread=None if topic is None else str(topic),
        explicit=private or ours or mentioned or reply_to_bot,
    )


def refusal_key(settings: Settings, req: Request) -> str | None:
    """Which refusal text applies to `req` under the allow lists, or None when it is allowed."""
    if settings.telegram_allowed_chats and req.channel not in settings.telegram_allowed_chats:
        return "telegram.refused.chat"
    if settings.telegram_allowed_users and req.user not in settings.telegram_allowed_users:
        return "telegram.refused.user"
    return None


class Responder:
    """Answers every message update: dedup, allow lists, `ask`, then the reply in place."""

    def __init__(self, settings: Settings, ask: Ask, store: Store) -> None:
        self.settings = settings
        self.ask = ask
        self.store = store

    async def _lang(self, req: Request) -> str:
        try:
            chosen = await self.store.get_lang(req.platform, req.user)
        except Exception:
            log.warning("could not read the language preference", exc_info=True)
            chosen = None
        return chosen or self.settings.lang

    async def _claim(self, key: str) -> bool:
        """True when this update is new; a broken store answers rather than stays silent."""
        try:
            return await self.store.claim_event(key, time.time())
        except Exception:
            log.warning("could not record telegram update %s; answering anyway", key, exc_info=True)
            return True

    async def _with_document(
        self, req: Request, message: Message, bot: Bot
    ) -> Request | Reply | None:
        """`req` with the text of the message's document after its caption; a note (or None when
        overheard) for a document that cannot be read. A caption that is a command ignores it."""
        document = message.document
        if document is None or parse_command(req.text)[0] is not None:
            return req
        read = await read_document(bot, document, self.settings.max_paste)
        if read.text is not None:
            text = "\n\n".join(filter(None, [req.text.strip(), read.text]))
            return dataclasses.replace(req, text=text)
        return await self._file_note(req, read) if req.explicit else None

    async def _file_note(self, req: Request, read: DocumentText) -> Reply:
        lang = await self._lang(req)
        kb = load()
        limit = size_text(self.settings.max_paste)
        return Reply(
            title=kb.text("title.usage", lang),
            summary=kb.text(f"telegram.file.{read.problem}", lang, name=read.name, limit=limit),
            status=Status.INFO,
            lang=lang,
            kind=Kind.USAGE,
        )

    async def _answer(self, req: Request, message: Message, bot: Bot) -> Reply | None:
        key = refusal_key(self.settings, req)
        if key is not None:
            if not req.explicit:
                return None
            lang = await self._lang(req)
            kb = load()
            return Reply(
                title=kb.text("title.refused", lang),
                summary=kb.text(key, lang, chat=req.channel, user=req.user),
                status=Status.WARN,
                lang=lang,
                kind=Kind.REFUSAL,
            )
        try:
            asked = await self._with_document(req, message, bot)
            if not isinstance(asked, Request):
                return asked
            return await self.ask(asked)
        except Exception:
            incident = new_incident_id()
            log.exception("answering a telegram message crashed (incident %s)", incident)
            return apology(await self._lang(req), incident)

    async def __call__(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        if message is None:
            return
        bot = context.bot
        req = to_request(message, bot.id, bot.username or "")
        if req is None:
            return
        if not await self._claim(f"telegram:{bot.id}:{update.update_id}"):
            log.info("telegram update %s was answered before; skipped", update.update_id)
            return
        reply = await self._answer(req, message, bot)
        if reply is None:
            return
        try:
            await send_reply(bot, message.chat.id, reply, message.message_id, topic_of(message))
        except TelegramError as exc:
            log.error(
                "could not send the answer to chat %s (incident %s): %s",
                message.chat.id,
                new_incident_id(),
                exc,
            )


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """PTB's error handler: log whatever escaped a callback, with an incident id, and go on."""
    log.error(
        "telegram update handling failed (incident %s)",
        new_incident_id(),
        exc_info=context.error,
    )
