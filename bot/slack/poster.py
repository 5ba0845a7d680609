"""Sending rendered messages to Slack: channel posts, thread replies, ephemerals, response_url.

Every call is paced per channel; 429 answers (Retry-After) and 500/503 are retried by slack_sdk's
retry handlers on the client built here. Failures raise: callers decide whether to log or retry.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.render.slack import Message
from bot.slack.ratelimit import ChannelPacer


class ResponseUrlError(Exception):
    """A response_url refused our message; the message says what it answered."""


def build_client(token: str | None, api_url: str, timeout: int = 30) -> AsyncWebClient:
    """A Web API client on `api_url` that waits out 429s and retries one 5xx or dropped connection."""
    base = api_url if api_url.endswith("/") else api_url + "/"
    return AsyncWebClient(
        token=token,
        base_url=base,
        timeout=timeout,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=1),
            AsyncRateLimitErrorRetryHandler(max_retry_count=3),
            AsyncServerErrorRetryHandler(max_retry_count=1),
        ],
    )


class Poster:
    """Posts Messages; a run of several goes to one thread so the channel sees one message."""

    def __init__(self, client: AsyncWebClient, pacer: ChannelPacer | None = None) -> None:
        self.client = client
        self.pacer = pacer or ChannelPacer()

    async def post(
        self,
        channel: str,
        messages: Sequence[Message],
        thread: str | None,
        metadata: dict[str, Any] | None = None,
    ) -> str:
        """Post `messages` in `thread` (None: the first opens a new one); returns the parent ts.

        `metadata` (Slack message metadata: event_type, event_payload) goes on the first message.
        """
        for n, message in enumerate(messages):
            await self.pacer.wait(channel)
            resp = await self.client.chat_postMessage(
                channel=channel,
                thread_ts=thread,
                unfurl_links=False,
                unfurl_media=False,
                metadata=metadata if n == 0 else None,
                **message.as_kwargs(),
            )
            if thread is None:
                thread = str(resp["ts"])
        if thread is None:
            raise ValueError("nothing to post")
        return thread

    async def ephemeral(
        self, channel: str, user: str, messages: Sequence[Message], thread: str | None
    ) -> None:
        """Messages only `user` sees, in `channel` (in `thread` when given)."""
        for message in messages:
            await self.pacer.wait(channel)
            await self.client.chat_postEphemeral(
                channel=channel, user=user, thread_ts=thread, **message.as_kwargs()
            )

    async def respond(self, url: str, messages: Sequence[Message], in_channel: bool) -> None:
        """Answer through a command's or shortcut's response_url (works where the bot is no member)."""
        hook = AsyncWebhookClient(url, timeout=30)
        for message in messages:
            resp = await hook.send(
                text=message.text,
                blocks=list(message.blocks),
                response_type="in_channel" if in_channel else "ephemeral",
                replace_original=False,
            )
            if resp.status_code != 200:
                raise ResponseUrlError(f"response_url answered {resp.status_code}: {resp.body}")
