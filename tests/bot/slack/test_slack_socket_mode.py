"""Socket Mode: envelopes over a local WebSocket are acked and answered through the real bolt paths."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest

from bot.slack.adapter import SlackAdapter
from tests.bot.slack.conftest import (
    Asked,
    Make,
    command_form,
    message_event,
    shortcut_payload,
)
from tests.fakes.slack_api import APP_TOKEN, FakeSlackApi

BOUNCE = "550 5.1.1 &lt;<mailto:bob@example.com|bob@example.com>&gt;: User unknown"


@pytest.fixture
async def socket_adapter(make_adapter: Make) -> AsyncIterator[tuple[SlackAdapter, Asked]]:
    asked = Asked()
    adapter = make_adapter(
        asked, slack_app_token=APP_TOKEN, slack_signing_secret=None, http_port=None
    )
    await adapter.start()
    yield adapter, asked
    await adapter.stop()


async def test_start_opens_a_socket_mode_connection_with_the_app_token(
    fake: FakeSlackApi, socket_adapter: tuple[SlackAdapter, Asked]
) -> None:
    await asyncio.wait_for(fake.socket_connected.wait(), 10)
    assert fake.calls_to("apps.connections.open")[0].token == APP_TOKEN


async def test_an_event_envelope_is_acked_and_the_paste_answered_in_its_thread(
    fake: FakeSlackApi, socket_adapter: tuple[SlackAdapter, Asked]
) -> None:
    body = message_event(BOUNCE)
    ack = await fake.send_envelope("events_api", body)
    assert "envelope_id" in ack
    posts = await fake.wait_for("chat.postMessage", 2)
    assert {p.args["thread_ts"] for p in posts} == {body["event"]["ts"]}


async def test_a_redelivered_envelope_is_acked_but_not_answered_twice(
    fake: FakeSlackApi, socket_adapter: tuple[SlackAdapter, Asked]
) -> None:
    adapter, _ = socket_adapter
    body = message_event(BOUNCE)
    await fake.send_envelope("events_api", body)
    await fake.wait_for("chat.postMessage", 2)
    ack = await fake.send_envelope("events_api", body, retry_attempt=1, retry_reason="timeout")
    assert "envelope_id" in ack
    await asyncio.sleep(0.05)
    await adapter.responder.drain(10)
    assert len(fake.calls_to("chat.postMessage")) == 2


async def test_a_slash_command_envelope_is_acked_with_the_working_note(
    fake: FakeSlackApi, socket_adapter: tuple[SlackAdapter, Asked]
) -> None:
    ack = await fake.send_envelope(
        "slash_commands", command_form("/mailtrack", "bob@example.com", fake.response_url())
    )
    assert "Working on" in json.dumps(ack["payload"])
    posts = await fake.wait_for("chat.postMessage", 2)
    assert "thread_ts" not in posts[0].args and posts[1].args["thread_ts"]


async def test_a_shortcut_envelope_is_acked_and_answered_in_the_messages_thread(
    fake: FakeSlackApi, socket_adapter: tuple[SlackAdapter, Asked]
) -> None:
    message = message_event(BOUNCE)["event"]
    ack = await fake.send_envelope("interactive", shortcut_payload(message, fake.response_url()))
    assert "envelope_id" in ack
    posts = await fake.wait_for("chat.postMessage", 2)
    assert posts[0].args["thread_ts"] == message["ts"]
