"""Fixtures for the Slack adapter: the fake Slack, settings pointing at it, signed payloads as Slack
sends them, and the adapter's routes served by a real uvicorn on a loopback port."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import itertools
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette

from bot.config import Settings
from bot.slack.adapter import SlackAdapter
from bot.store.sql import SqlStore
from handlers.reply import Reply, Section, Status
from handlers.request import Request
from tests.fakes.slack_api import APP_TOKEN, BOT_TOKEN, BOT_USER, TEAM, FakeSlackApi, started

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
USER = "U0USER001"
CHANNEL = "C0CHAN001"

_ids = itertools.count(1)


def sign(body: bytes, timestamp: int | None = None, secret: str = SECRET) -> dict[str, str]:
    """The headers Slack puts on a request: v0 HMAC-SHA256 of `v0:{timestamp}:{body}`."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + ts.encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def message_event(
    text: str,
    *,
    user: str = USER,
    channel: str = CHANNEL,
    channel_type: str = "channel",
    event_type: str = "message",
    **extra: Any,
) -> dict[str, Any]:
    """An `event_callback` envelope around a message event, shaped as Slack sends it."""
    n = next(_ids)
    ts = f"{1699990000 + n}.{n:06d}"
    event: dict[str, Any] = {
        "type": event_type,
        "user": user,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "channel": channel,
        "team": TEAM,
        "client_msg_id": f"5b0d6c5e-0000-4000-8000-{n:012d}",
        "blocks": [],
    }
    if event_type == "message":
        event["channel_type"] = channel_type
    event.update(extra)
    return {
        "token": "legacy-verification-token",
        "team_id": TEAM,
        "context_team_id": TEAM,
        "api_app_id": "A0APP0001",
        "event": event,
        "type": "event_callback",
        "event_id": f"Ev0{n:08d}",
        "event_time": 1699990000 + n,
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": TEAM,
                "user_id": BOT_USER,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-eyJldCI6Im1lc3NhZ2Ui{n}",
    }


def command_form(command: str, text: str, response_url: str, **extra: str) -> dict[str, str]:
    """The form fields of a slash command post."""
    n = next(_ids)
    form = {
        "token": "legacy-verification-token",
        "team_id": TEAM,
        "team_domain": "fake",
        "channel_id": CHANNEL,
        "channel_name": "mail-ops",
        "user_id": USER,
        "user_name": "alice",
        "command": command,
        "text": text,
        "api_app_id": "A0APP0001",
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": f"1000{n}.2000.abcdef{n}",
    }
    form.update(extra)
    return form


def shortcut_payload(message: dict[str, Any], response_url: str) -> dict[str, Any]:
    """A `message_action` payload for the "Explain this bounce" shortcut on `message`."""
    n = next(_ids)
    return {
        "type": "message_action",
        "token": "legacy-verification-token",
        "action_ts": f"1699999999.{n:06d}",
        "team": {"id": TEAM, "domain": "fake"},
        "user": {"id": USER, "username": "alice", "team_id": TEAM, "name": "alice"},
        "channel": {"id": CHANNEL, "name": "mail-ops"},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": "explain_bounce",
        "trigger_id": f"3000{n}.4000.fedcba{n}",
        "response_url": response_url,
        "message_ts": message["ts"],
        "message": message,
    }


def encoded(kind: str, payload: dict[str, Any] | dict[str, str]) -> tuple[bytes, str]:
    """Body and content type for an event (JSON), a command (form) or an interaction (payload=)."""
    if kind == "event":
        return json.dumps(payload).encode(), "application/json"
    if kind == "command":
        return urlencode(payload).encode(), "application/x-www-form-urlencoded"
    return urlencode({"payload": json.dumps(payload)}).encode(), "application/x-www-form-urlencoded"


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
        server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign]
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


__all__ = ["APP_TOKEN", "Asked", "SlackHttp", "answer", "message_event"]
