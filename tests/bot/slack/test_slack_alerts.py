"""Alerts go to the alert channel, one parent per incident with follow-ups in its thread; they work
without start() and raise on failure so the outbox retries."""

from __future__ import annotations

from dataclasses import replace

import pytest
from slack_sdk.errors import SlackApiError

from handlers.reply import Kind, Reply, Section, Status
from tests.bot.slack.conftest import Make
from tests.fakes.slack_api import FakeSlackApi

LISTED = Reply(
    title="192.0.2.10 is listed on zen.spamhaus.org",
    summary="Mail from 192.0.2.10 will be refused by many receivers.",
    status=Status.FAIL,
    kind=Kind.ALERT,
    sections=(Section(heading="Return codes", text="127.0.0.2 (SBL)", in_thread=True),),
)
DELISTED = Reply(title="192.0.2.10 is no longer listed", summary="Delisted.", kind=Kind.ALERT)


async def test_an_alert_opens_a_thread_in_the_alert_channel_and_follow_ups_go_in_it(
    fake: FakeSlackApi, make_adapter: Make
) -> None:
    adapter = make_adapter()  # never started: the monitor CLI posts alerts alone
    parent = await adapter.post_alert(LISTED, None)
    first, detail = fake.calls_to("chat.postMessage")
    assert first.args["channel"] == "C0ALERTS1" and "thread_ts" not in first.args
    assert detail.args["thread_ts"] == parent
    assert await adapter.post_alert(DELISTED, parent) == parent
    follow_up = fake.calls_to("chat.postMessage")[-1]
    assert follow_up.args["thread_ts"] == parent and "no longer listed" in follow_up.args["text"]


async def test_a_failed_alert_raises_so_the_outbox_retries(
    fake: FakeSlackApi, make_adapter: Make
) -> None:
    adapter = make_adapter()
    fake.fail("chat.postMessage", 500, times=2)  # one retry, then give up
    with pytest.raises(SlackApiError):
        await adapter.post_alert(LISTED, None)
    fake.fail("chat.postMessage", 200, error="channel_not_found")
    with pytest.raises(SlackApiError):
        await adapter.post_alert(LISTED, None)
    assert await adapter.post_alert(LISTED, None)  # Slack back: the retry goes out


async def test_an_alert_survives_one_rate_limit_answer(
    fake: FakeSlackApi, make_adapter: Make
) -> None:
    adapter = make_adapter()
    fake.fail("chat.postMessage", 429, retry_after=1)
    assert await adapter.post_alert(DELISTED, None)
    assert len(fake.calls_to("chat.postMessage")) == 2


async def test_without_an_alert_channel_posting_an_alert_fails_clearly(make_adapter: Make) -> None:
    adapter = make_adapter(slack_alert_channel=None)
    with pytest.raises(RuntimeError, match="SLACK_ALERT_CHANNEL"):
        await adapter.post_alert(LISTED, None)


async def test_an_alert_carries_its_key_and_is_found_again_by_it(
    fake: FakeSlackApi, make_adapter: Make
) -> None:
    adapter = make_adapter()
    listed = replace(LISTED, data={"key": "listed|192.0.2.10|zen.spamhaus.org|0.000"})
    parent = await adapter.post_alert(listed, None)
    first = fake.calls_to("chat.postMessage")[0]
    assert first.args["metadata"]["event_payload"] == {"key": listed.data["key"]}
    since = float(parent) - 60
    assert await adapter.find_alert(listed.data["key"], None, since) == parent
    assert await adapter.find_alert("listed|192.0.2.11|zen.spamhaus.org|0.000", None, since) is None
    assert await adapter.find_alert(listed.data["key"], None, float(parent)) is None  # older
    delisted = replace(DELISTED, data={"key": "delisted|192.0.2.10|zen.spamhaus.org|1.000"})
    assert await adapter.post_alert(delisted, parent) == parent
    assert await adapter.find_alert(delisted.data["key"], parent, since) == parent
    assert await adapter.find_alert(delisted.data["key"], None, since) is None  # not top level
    (history,) = fake.calls_to("conversations.history")[:1]
    assert history.args["channel"] == "C0ALERTS1" and history.args["include_all_metadata"]


async def test_looking_back_without_the_history_scope_raises(
    fake: FakeSlackApi, make_adapter: Make
) -> None:
    adapter = make_adapter()
    fake.fail("conversations.history", 200, error="missing_scope")
    with pytest.raises(SlackApiError):
        await adapter.find_alert("k", None, 0.0)
