"""SlackAdapter: the bot.adapters.Adapter for Slack (Socket Mode or HTTP events, alerts to a channel)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.adapter.starlette.async_handler import to_async_bolt_request, to_starlette_response
from starlette.requests import Request as HttpRequest
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.config import Settings
from bot.render.slack import detail_messages, summary_messages
from bot.slack.app import build_app
from bot.slack.files import FileReader
from bot.slack.poster import Poster, build_client
from bot.slack.responder import Ask, Responder
from handlers.reply import Reply
from handlers.store import Store

log = logging.getLogger("mailtriage.slack")

MAX_BODY = 1_000_000
"""Largest request body read at /slack/events (Slack's payloads are a few kB)."""

STOP_GRACE = 15.0
ALERT_EVENT = "mailtriage_alert"
"""event_type of the message metadata that marks an alert's first message with the alert's key."""
HISTORY_PAGES = 5


class SlackAdapter:
    """Listens on Slack (Socket Mode with an app token, else the HTTP route) and posts alerts."""

    name = "slack"

    def __init__(self, settings: Settings, ask: Ask, store: Store) -> None:
        self.settings = settings
        self.client = build_client(settings.slack_bot_token, settings.slack_api_url)
        self.poster = Poster(self.client)
        files = FileReader(self.client, settings.slack_api_url, settings.max_paste)
        self.responder = Responder(settings, ask, store, self.poster, files)
        self.app = build_app(settings, self.client, self.responder)
        self._socket: AsyncSocketModeHandler | None = None

    async def start(self) -> None:
        """Connect over Socket Mode when an app token is set; HTTP mode has nothing to start."""
        if not self.settings.slack_app_token:
            return
        self._socket = AsyncSocketModeHandler(
            self.app, app_token=self.settings.slack_app_token, web_client=self.client
        )
        await self._socket.connect_async()  # type: ignore[no-untyped-call]
        log.info("connected to Slack over Socket Mode")

    async def stop(self) -> None:
        """Stop receiving, then give answers in flight a bounded time to finish."""
        if self._socket is not None:
            try:
                await self._socket.close_async()  # type: ignore[no-untyped-call]
            except Exception:
                log.warning("closing the Socket Mode connection failed", exc_info=True)
            self._socket = None
        await self.responder.drain(STOP_GRACE)

    def routes(self) -> list[BaseRoute]:
        """POST /slack/events: events, slash commands and interactivity (signatures checked)."""
        return [Route("/slack/events", self._events, methods=["POST"])]

    async def _events(self, request: HttpRequest) -> Response:
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY:
                return Response("request too large", status_code=413)
        bolt_response = await self.app.async_dispatch(to_async_bolt_request(request, body))
        return to_starlette_response(bolt_response)

    async def post_alert(self, reply: Reply, thread_ref: str | None) -> str:
        """Post an alert to SLACK_ALERT_CHANNEL (in `thread_ref`'s thread); returns the parent ts.

        Works without start(). Raises when the parent cannot be posted so the outbox retries; once
        the parent is out, a failed detail message is only logged (a retry would repeat the parent).
        """
        channel = self.settings.slack_alert_channel
        if not channel:
            raise RuntimeError("SLACK_ALERT_CHANNEL is not set: no Slack channel for alerts")
        summary = summary_messages(reply)
        key = reply.data.get("key")
        metadata = (
            {"event_type": ALERT_EVENT, "event_payload": {"key": key}}
            if isinstance(key, str)
            else None
        )
        parent = await self.poster.post(channel, summary[:1], thread_ref, metadata)
        try:
            await self.poster.post(channel, summary[1:] + detail_messages(reply), parent)
        except Exception:
            log.exception("an alert's details could not be posted in its thread")
        return parent

    async def find_alert(self, key: str, thread_ref: str | None, since: float) -> str | None:
        """The ts post_alert returned for alert `key` if its message, posted after `since`, is in
        the alert channel (bot.delivery.AlertLedger): found by the key in its metadata."""
        channel = self.settings.slack_alert_channel
        if not channel:
            raise RuntimeError("SLACK_ALERT_CHANNEL is not set: no Slack channel for alerts")
        cursor = None
        for _ in range(HISTORY_PAGES):
            query: dict[str, Any] = {
                "channel": channel,
                "oldest": f"{since:.6f}",
                "include_all_metadata": True,
                "limit": 200,
                "cursor": cursor,
            }
            if thread_ref is None:
                resp = await self.client.conversations_history(**query)
            else:
                resp = await self.client.conversations_replies(ts=thread_ref, **query)
            for message in resp.get("messages") or []:
                metadata = message.get("metadata") or {}
                payload = metadata.get("event_payload") or {}
                if metadata.get("event_type") == ALERT_EVENT and payload.get("key") == key:
                    return thread_ref or str(message["ts"])
            cursor = (resp.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None
        raise RuntimeError(f"more than {HISTORY_PAGES} pages of Slack history to search")
