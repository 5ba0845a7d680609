"""The slack-bolt AsyncApp: listeners that ack at once and hand each request to the Responder.

Bolt verifies request signatures (v0, 5-minute window) in HTTP mode, answers url_verification and
ssl_check, and drops our own events; everything else about answering is bot/slack/responder.py's.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext, AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.render.slack import escape
from bot.slack.events import (
    COMMANDS,
    SHORTCUT_ID,
    from_command,
    from_mention,
    from_message,
    from_shortcut,
)
from bot.slack.responder import Responder
from knowledge.loader import load

log = logging.getLogger("mailtriage.slack")

Ack = Callable[..., Awaitable[None]]


def _retry(request: AsyncBoltRequest) -> str | None:
    values = request.headers.get("x-slack-retry-num")
    return values[0] if values else None


class _TokenFromEnvironment(logging.Filter):
    """Bolt also reads SLACK_BOT_TOKEN itself and warns that our client's token wins; it does."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


def build_app(settings: Settings, client: AsyncWebClient, responder: Responder) -> AsyncApp:
    """An AsyncApp on `client` whose listeners feed `responder`."""
    bolt_log = logging.getLogger("mailtriage.slack.bolt")
    if not any(isinstance(f, _TokenFromEnvironment) for f in bolt_log.filters):
        bolt_log.addFilter(_TokenFromEnvironment())
    app = AsyncApp(
        client=client,
        signing_secret=settings.slack_signing_secret or "",
        # Socket Mode requests are not signed; bolt skips verification for them by itself
        request_verification_enabled=True,
        process_before_response=False,
        logger=bolt_log,
    )

    async def on_command(ack: Ack, body: Mapping[str, Any], request: AsyncBoltRequest) -> None:
        inc = from_command(body)
        lang = await responder.lang(inc.user)
        working = load().text("slack.working", lang, command=escape(inc.text[:200]))
        await ack(text=working, response_type="ephemeral")
        await responder.answer(inc, _retry(request))

    for name in COMMANDS:
        app.command(name)(on_command)

    async def on_message(
        body: Mapping[str, Any], context: AsyncBoltContext, request: AsyncBoltRequest
    ) -> None:
        inc = from_message(body, context.bot_user_id, settings.slack_watch_channels)
        if inc is not None:
            await responder.answer(inc, _retry(request))

    async def on_mention(
        body: Mapping[str, Any], context: AsyncBoltContext, request: AsyncBoltRequest
    ) -> None:
        inc = from_mention(body, context.bot_user_id)
        if inc is not None:
            await responder.answer(inc, _retry(request))

    async def on_shortcut(
        ack: Ack, body: Mapping[str, Any], context: AsyncBoltContext, request: AsyncBoltRequest
    ) -> None:
        await ack()
        await responder.answer(from_shortcut(body, context.bot_user_id), _retry(request))

    app.event("message")(on_message)
    app.event("app_mention")(on_mention)
    app.message_shortcut(SHORTCUT_ID)(on_shortcut)

    async def on_error(error: Exception) -> None:
        log.error("slack-bolt could not handle a request: %s", type(error).__name__, exc_info=error)

    app.error(on_error)
    return app
