"""Sending a rendered Reply to a chat: the first message as a reply, the rest chained under it."""

from __future__ import annotations

import logging

from telegram import Bot, LinkPreviewOptions, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.render.telegram import Message, render
from handlers.dispatch import new_incident_id
from handlers.reply import Reply

log = logging.getLogger("mailtriage.telegram")

_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


async def _send_one(
    bot: Bot, chat_id: int | str, message: Message, reply_to: int | None, topic: int | None
) -> int:
    reply = (
        None
        if reply_to is None
        else ReplyParameters(message_id=reply_to, allow_sending_without_reply=True)
    )
    try:
        sent = await bot.send_message(
            chat_id=chat_id,
            text=message.html,
            parse_mode=ParseMode.HTML,
            message_thread_id=topic,
            reply_parameters=reply,
            link_preview_options=_NO_PREVIEW,
        )
    except BadRequest as exc:
        if "can't parse entities" not in str(exc).lower():
            raise
        # Our escaping should make this impossible; if Telegram disagrees, the words still arrive.
        log.error(
            "telegram refused our HTML (incident %s): %s", new_incident_id(), exc, exc_info=True
        )
        sent = await bot.send_message(
            chat_id=chat_id,
            text=message.plain,
            message_thread_id=topic,
            reply_parameters=reply,
            link_preview_options=_NO_PREVIEW,
        )
    return sent.message_id


async def send_reply(
    bot: Bot, chat_id: int | str, reply: Reply, reply_to: int | None, topic: int | None
) -> int:
    """Send every message of `reply`; returns the id of the first, which the others reply to."""
    first: int | None = None
    for message in render(reply).messages:
        sent = await _send_one(bot, chat_id, message, reply_to if first is None else first, topic)
        first = sent if first is None else first
    if first is None:
        raise ValueError("a reply rendered to no message at all")
    return first
