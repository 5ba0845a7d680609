"""Fixtures for the Slack adapter: the fake Slack, settings pointing at it, signed payloads as Slack
sends them, and the adapter's routes served by a real uvicorn on a loopback port."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette

from bot.config import Settings
from bot.slack.adapter import SlackAdapter
from bot.store.sql import SqlStore
from handlers.reply import Reply, Section, Status
from handlers.request import Request
from tests.fakes.slack_api import APP_TOKEN, BOT_TOKEN, FakeSlackApi, started
from tests.fakes.slack_payloads import (
    CHANNEL,
    SECRET,
    USER,
    command_form,
    encoded,
    message_event,
    shortcut_payload,
    sign,
)


def answer(title: str = "Mailbox unknown", **kw: Any) -> Reply:
    """A Reply as a handler would return it, with a detail section for the thread."""
    base = Reply(
        title=title,
        summary="The recipient's server says the mailbox does not exist.",
        status=Status.FAIL,
        sections=(
            Section(heading="Recipient", text="bob@example.com: 550 5.1.1 user unknown"),
            Section(heading="Raw reply", code="550 5.1.1 <bob@example.com>", in_thread=True),
        ),
        steps=("Check the address for typos.",),
    )
    return replace(base, **kw)


@dataclass
class Asked:
    """An injected `ask`: records requests, answers with `reply` (or raises `error`)."""

    reply: Reply | None = field(default_factory=answer)
    error: Exception | None = None
    requests: list[Request] = field(default_factory=list)

    async def __call__(self, req: Request) -> Reply | None:
        self.requests.append(req)
        if self.error is not None:
            raise self.error
        if not req.explicit and "550" not in req.text:
            return None
        return self.reply


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlackApi]:
    async with FakeSlackApi() as api:
        yield api


def slack_settings(fake: FakeSlackApi, **kw: Any) -> Settings:
    values: dict[str, Any] = {
        "slack_bot_token": BOT_TOKEN,
        "slack_signing_secret": SECRET,
        "slack_api_url": fake.api_url,
        "slack_alert_channel": "C0ALERTS1",
        "http_port": 0,
    }
    values.update(kw)
    return Settings(**values)


Make = Callable[..., SlackAdapter]


@pytest.fixture
def make_adapter(fake: FakeSlackApi, store: SqlStore) -> Make:
    def make(ask: Callable[[Request], Awaitable[Reply | None]] | None = None, **kw: Any) -> Any:
        adapter = SlackAdapter(slack_settings(fake, **kw), ask or Asked(), store)
        adapter.poster.pacer.interval = 0.0  # pacing has its own test
        return adapter

    return make


@dataclass
class SlackHttp:
    """The adapter's routes on a real uvicorn; `post()` sends a correctly signed request."""

    adapter: SlackAdapter
    url: str
    client: httpx.AsyncClient

    async def post(
        self, kind: str, payload: Any, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        body, content_type = encoded(kind, payload)
        all_headers = {"Content-Type": content_type, **sign(body), **(headers or {})}
        return await self.client.post(self.url, content=body, headers=all_headers)


@pytest.fixture
async def serve_http() -> AsyncIterator[Callable[[SlackAdapter], Awaitable[SlackHttp]]]:
    servers: list[tuple[uvicorn.Server, asyncio.Task[None], SlackAdapter]] = []
    client = httpx.AsyncClient(timeout=10)

    async def start(adapter: SlackAdapter) -> SlackHttp:
        await adapter.start()
        app = Starlette(routes=adapter.routes())
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
        server = uvicorn.Server(config)
        server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign, assignment]
        task = asyncio.create_task(server.serve())
        await started(server, task)
        port = server.servers[0].sockets[0].getsockname()[1]
        servers.append((server, task, adapter))
        return SlackHttp(adapter, f"http://127.0.0.1:{port}/slack/events", client)

    yield start
    for server, task, adapter in servers:
        await adapter.stop()
        server.should_exit = True
        await task
    await client.aclose()


__all__ = [
    "APP_TOKEN",
    "CHANNEL",
    "USER",
    "Asked",
    "SlackHttp",
    "answer",
    "command_form",
    "message_event",
    "shortcut_payload",
]
