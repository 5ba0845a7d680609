"""HTTP mode through slack-bolt's real request handling: signed requests in, Web API calls out."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace

import httpx
from starlette.applications import Starlette

from bot.runtime import Runtime
from bot.slack.adapter import SlackAdapter
from bot.store.sql import SqlStore
from handlers.reply import Kind, Reply
from handlers.request import Context, Request
from tests.bot.slack.conftest import (
    CHANNEL,
    USER,
    Asked,
    Make,
    SlackHttp,
    answer,
    command_form,
    encoded,
    message_event,
    shortcut_payload,
    sign,
    slack_settings,
)
from tests.fakes.slack_api import BOT_ID, BOT_USER, FakeSlackApi

Serve = Callable[[SlackAdapter], Awaitable[SlackHttp]]
BOUNCE = "550 5.1.1 &lt;<mailto:bob@example.com|bob@example.com>&gt;: User unknown"


async def settle(adapter: SlackAdapter) -> None:
    """Let the answers bolt started in the background finish."""
    await asyncio.sleep(0.05)
    await adapter.responder.drain(10)


def posted_text(fake: FakeSlackApi, method: str = "chat.postMessage") -> str:
    return json.dumps([c.args for c in fake.calls_to(method)], ensure_ascii=False)


async def test_the_url_verification_challenge_is_answered(
    make_adapter: Make, serve_http: Serve
) -> None:
    slack = await serve_http(make_adapter())
    resp = await slack.post(
        "event", {"token": "t", "challenge": "3eZbrw1aBm2r", "type": "url_verification"}
    )
    assert resp.status_code == 200
    assert "3eZbrw1aBm2r" in resp.text


async def test_a_slash_command_is_acked_at_once_then_answered_in_the_channel_with_details_in_a_thread(
    fake: FakeSlackApi, make_adapter: Make, serve_http: Serve
) -> None:
    asked = Asked()
    slack = await serve_http(make_adapter(asked))
    resp = await slack.post(
        "command", command_form("/mailcheck", "example.com", fake.response_url())
    )
    assert resp.status_code == 200
    assert "Working on" in resp.json()["text"]  # the ephemeral ack, before any answer
    posts = await fake.wait_for("chat.postMessage", 2)
    summary, details = posts[0].args, posts[1].args
    assert summary["channel"] == CHANNEL and "thread_ts" not in summary
    assert "Mailbox unknown" in summary["text"]
    asker = summary["blocks"][0]["elements"][0]["text"]
    assert asker == f"<@{USER}>: `/mailcheck example.com`"  # who asked, since the bot posts
    assert details["thread_ts"] == "1700000001.000001"  # the fake's first ts: the summary's
    assert "Raw reply" in json.dumps(details["blocks"])
    assert asked.requests[0].text == "/mailcheck example.com"
    assert asked.requests[0].explicit and asked.requests[0].platform == "slack"


async def test_a_pasted_bounce_is_answered_in_its_thread(
    fake: FakeSlackApi, make_adapter: Make, serve_http: Serve
) -> None:
    asked = Asked()
    slack = await serve_http(make_adapter(asked))
    body = message_event(BOUNCE)
    resp = await slack.post("event", body)
    assert resp.status_code == 200
    posts = await fake.wait_for("chat.postMessage", 2)
    assert {p.args["thread_ts"] for p in posts} == {body["event"]["ts"]}
    assert asked.requests[0].text == "550 5.1.1 <bob@example.com>: User unknown"
    assert not asked.requests[0].explicit


async def test_a_retried_delivery_gets_no_second_answer_even_after_a_restart(
    fake: FakeSlackApi, make_adapter: Make, serve_http: Serve
) -> None:
    first = await serve_http(make_adapter())
    body = message_event(BOUNCE)
    await first.post("event", body)
    await fake.wait_for("chat.postMessage", 2)
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert (await first.post("event", body, retry)).status_code == 200
    restarted = await serve_http(make_adapter())  # a new process on the same store
    assert (await restarted.post("event", body, retry)).status_code == 200
    await settle(first.adapter)
    await settle(restarted.adapter)
    assert len(fake.calls_to("chat.postMessage")) == 2


async def test_a_bad_signature_or_a_stale_timestamp_is_rejected(
    fake: FakeSlackApi, make_adapter: Make, serve_http: Serve
) -> None:
    slack = await serve_http(make_adapter())
    body, kind = encoded("event", message_event(BOUNCE))
    forged = {**sign(body, secret="not-the-secret"), "Content-Type": kind}
    stale = {**sign(body, timestamp=int(time.time()) - 6 * 60), "Content-Type": kind}
    for headers in (forged, stale, {"Content-Type": kind}):
        resp = await slack.client.post(slack.url, content=body, headers=headers)
        assert resp.status_code == 401
    await settle(slack.adapter)
    assert fake.calls_to("chat.postMessage") == []


async def test_a_bad_signature_is_rejected_in_process_too(make_adapter: Make) -> None:
    adapter = make_adapter()
    transport = httpx.ASGITransport(app=Starlette(routes=adapter.routes()))
    async with httpx.AsyncClient(transport=transport, base_url="http://slack.test") as client:
        body, kind = encoded("command", command_form("/mailhelp", "", "http://127.0.0.1:9/r"))
        headers = {**sign(body + b"tampered"), "Content-Type": kind}
        resp = await client.post("/slack/events", content=body, headers=headers)
    assert resp.status_code == 401


async def test_own_messages_other_bots_and_edits_are_ignored(
    fake: FakeSlackApi, make_adapter: Make, serve_http: Serve
) -> None:
    asked = Asked()
    slack = await serve_http(make_adapter(asked))
    edited = {"type": "message", "text": BOUNCE, "user": USER, "ts": "1699990000.000009"}
    for body in (
        message_event(BOUNCE, user=BOT_USER, bot_id=BOT_ID),
        message_event(BOUNCE, user="U0OTHERBOT", bot_id="B0OTHER", subtype="bot_message"),
        message_event("", subtype="message_changed", message=edited, hidden=True),
        message_event("", subtype="message_deleted", previous_message=edited, hidden=True),
    ):
        assert (await slack.post("event", body)).status_code == 200
    await settle(slack.adapter)
    assert asked.requests == []
    assert fake.calls_to("chat.postMessage") == []


async def test_a_long_paste_sent_as_a_snippet_is_read_and_answered(
    fake: FakeSlackApi, make_adapter: Make, serve_http: Serve
) -> None:
    asked = Asked()
    slack = await serve_http(make_adapter(asked))
    dsn = b"Reporting-MTA: dns; mx.example.net\n\nFinal-Recipient: rfc822; bob@example.com\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 User unknown\n"
    file = fake.add_file("F0SNIP001", "bounce.txt", dsn)
    body = message_event("", subtype="file_share", files=[file], upload=False)
    await slack.post("event", body)
    await fake.wait_for("chat.postMessage", 2)
    assert "Diagnostic-Code: smtp; 550 5.1.1 User unknown" in asked.requests[0].text
    download = fake.calls_to("files.download")[0]
    assert download.token == fake.bot_token


async def test_a_snippet_known_only_by_id_is_looked_up_with_files_info(
    fake: FakeSlackApi, make_adapter: Make, serve_http: Serve
) -> None:
    asked = Asked()
    slack = await serve_http(make_adapter(asked))
    fake.add_file("F0SNIP002", "ndr.txt", b"550 5.7.1 Service unavailable; client host blocked")
    stub = {"id": "F0SNIP002", "mode": "hidden_by_limit", "file_access": "check_file_info"}
    await slack.post(
        "event",
        message_event(
            "", channel_type="im", channel="D0DM00001", subtype="file_share", files=[stub]
        ),
    )
    await fake.wait_for("chat.postMessage", 1)
    assert fake.calls_to("files.info")[0].args["file"] == "F0SNIP002"
    assert "client host blocked" in asked.requests[0].text


async def test_the_message_shortcut_explains_that_message_in_its_thread(
    fake: FakeSlackApi, make_adapter: Make, serve_http: Serve
) -> None:
    asked = Asked()
    slack = await serve_http(make_adapter(asked))
    message = message_event(BOUNCE)["event"]
    resp = await slack.post("interactive", shortcut_payload(message, fake.response_url("sc")))
    assert resp.status_code == 200
    posts = await fake.wait_for("chat.postMessage", 2)
    assert posts[0].args["thread_ts"] == message["ts"]
    assert asked.requests[0].explicit


async def test_a_rate_limited_post_is_retried_after_retry_after(
    fake: FakeSlackApi, make_adapter: Make, serve_http: Serve
) -> None:
    slack = await serve_http(make_adapter())
    fake.fail("chat.postMessage", 429, retry_after=1)
    await slack.post("event", message_event(BOUNCE))
    posts = await fake.wait_for("chat.postMessage", 3)  # 429, then the two messages
    assert posts[1].args == posts[0].args


async def test_a_crashing_dispatcher_gets_a_polite_answer_with_an_incident_id(
    fake: FakeSlackApi, make_adapter: Make, serve_http: Serve
) -> None:
    slack = await serve_http(make_adapter(Asked(error=RuntimeError("boom"))))
    await slack.post("event", message_event(f"<@{BOT_USER}> {BOUNCE}", event_type="app_mention"))
    post = (await fake.wait_for("chat.postMessage"))[0].args
    assert "Incident id:" in post["text"] and "boom" not in post["text"]
    assert post["thread_ts"]


async def test_a_failing_post_is_logged_and_the_app_keeps_answering(
    fake: FakeSlackApi, make_adapter: Make, serve_http: Serve
) -> None:
    slack = await serve_http(make_adapter())
    fake.fail("chat.postMessage", 200, error="invalid_blocks")
    await slack.post("event", message_event(BOUNCE))
    await fake.wait_for("chat.postMessage", 1)
    await settle(slack.adapter)
    await slack.post("event", message_event(BOUNCE))
    await fake.wait_for("chat.postMessage", 3)


async def test_bad_arguments_get_a_usage_note_only_the_asker_sees(
    fake: FakeSlackApi, make_adapter: Make, serve_http: Serve
) -> None:
    usage = Reply(title="How to use this", summary="/mailcheck <domain>", kind=Kind.USAGE)
    slack = await serve_http(make_adapter(Asked(reply=usage)))
    await slack.post("command", command_form("/mailcheck", "", fake.response_url()))
    note = (await fake.wait_for("response_url"))[0].args
    assert note["response_type"] == "ephemeral" and "/mailcheck &lt;domain&gt;" in note["text"]
    await settle(slack.adapter)
    assert fake.calls_to("chat.postMessage") == []


async def test_a_user_not_on_the_allowed_list_is_told_why(
    fake: FakeSlackApi, make_adapter: Make, serve_http: Serve
) -> None:
    asked = Asked()
    slack = await serve_http(make_adapter(asked, slack_allowed_users=("U0SOMEONE",)))
    await slack.post("command", command_form("/mailcheck", "example.com", fake.response_url()))
    note = (await fake.wait_for("response_url"))[0].args
    assert note["response_type"] == "ephemeral"
    assert "SLACK_ALLOWED_USERS" in note["text"] and USER in note["text"]
    assert asked.requests == []


async def test_a_command_in_a_channel_the_bot_is_not_in_is_answered_through_response_url(
    fake: FakeSlackApi, make_adapter: Make, serve_http: Serve
) -> None:
    slack = await serve_http(make_adapter())
    fake.fail("chat.postMessage", 200, error="not_in_channel")
    await slack.post("command", command_form("/mailcheck", "example.com", fake.response_url()))
    answers = await fake.wait_for("response_url", 2)
    assert all(a.args["response_type"] == "in_channel" for a in answers)


async def test_help_and_lang_through_the_real_dispatcher(
    fake: FakeSlackApi, store: SqlStore, serve_http: Serve
) -> None:
    settings = slack_settings(fake)
    runtime = Runtime(settings, store, Context(settings.handler_settings(), store))
    adapter = SlackAdapter(settings, runtime.ask, store)
    slack = await serve_http(adapter)
    await slack.post("event", message_event(f"<@{BOT_USER}> /help", event_type="app_mention"))
    help_post = (await fake.wait_for("chat.postMessage"))[0].args
    assert "mailtriage" in help_post["text"] and help_post["thread_ts"]
    await slack.post("command", command_form("/lang", "zh-TW", fake.response_url("lang")))
    note = (await fake.wait_for("response_url"))[0].args
    assert note["response_type"] == "ephemeral" and "繁體中文" in note["text"]
    assert await store.get_lang("slack", USER) == "zh-TW"


async def test_an_overheard_message_that_is_no_bounce_gets_no_answer(
    fake: FakeSlackApi, store: SqlStore, make_adapter: Make, serve_http: Serve
) -> None:
    asked = Asked(reply=replace(answer(), title="never"))
    slack = await serve_http(make_adapter(asked))
    chatter = message_event("lunch at noon?")
    await slack.post("event", chatter)
    await settle(slack.adapter)
    assert len(asked.requests) == 1 and fake.calls_to("chat.postMessage") == []
    # ordinary talk is not even recorded as answered: its key is still new
    assert await store.claim_event(f"slack:event:{chatter['event_id']}", time.time())


async def test_another_workspace_is_told_on_a_mention_and_ignored_when_overheard(
    fake: FakeSlackApi, make_adapter: Make, serve_http: Serve
) -> None:
    asked = Asked()
    slack = await serve_http(make_adapter(asked, slack_allowed_teams=("T0OTHER01",)))
    await slack.post("event", message_event(BOUNCE))
    await slack.post("event", message_event(f"<@{BOT_USER}> {BOUNCE}", event_type="app_mention"))
    note = (await fake.wait_for("chat.postEphemeral"))[0].args
    await settle(slack.adapter)
    assert note["user"] == USER and "SLACK_ALLOWED_TEAMS" in note["text"]
    assert len(fake.calls_to("chat.postEphemeral")) == 1
    assert asked.requests == [] and fake.calls_to("chat.postMessage") == []


async def test_stop_lets_an_answer_in_flight_finish(
    fake: FakeSlackApi, make_adapter: Make, serve_http: Serve
) -> None:
    started = asyncio.Event()

    async def slow(req: Request) -> Reply:
        started.set()
        await asyncio.sleep(0.3)
        return answer()

    slack = await serve_http(make_adapter(slow))
    await slack.post("event", message_event(f"<@{BOT_USER}> {BOUNCE}", event_type="app_mention"))
    await asyncio.wait_for(started.wait(), 5)
    await slack.adapter.stop()
    assert len(fake.calls_to("chat.postMessage")) == 2
