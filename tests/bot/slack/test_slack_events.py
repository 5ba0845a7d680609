"""Slack payloads become Incoming requests; edits, bots and the bot itself are skipped."""

from __future__ import annotations

from bot.slack.events import from_command, from_mention, from_message, from_shortcut
from tests.bot.slack.conftest import CHANNEL, USER, command_form, message_event, shortcut_payload
from tests.fakes.slack_api import BOT_ID, BOT_USER

BOUNCE = "550 5.1.1 &lt;<mailto:bob@example.com|bob@example.com>&gt;: User unknown"


def test_a_pasted_bounce_in_a_channel_is_overheard_and_answered_in_its_thread() -> None:
    body = message_event(BOUNCE)
    inc = from_message(body, BOT_USER)
    assert inc is not None
    assert inc.text == "550 5.1.1 <bob@example.com>: User unknown"
    assert not inc.explicit
    assert inc.thread == body["event"]["ts"]
    assert inc.key == f"slack:event:{body['event_id']}"


def test_a_reply_inside_a_thread_is_answered_in_that_thread() -> None:
    body = message_event(BOUNCE, thread_ts="1699990000.000001")
    inc = from_message(body, BOT_USER)
    assert inc is not None and inc.thread == "1699990000.000001"


def test_a_direct_message_is_an_explicit_request() -> None:
    inc = from_message(message_event("/help", channel="D0DM00001", channel_type="im"), BOT_USER)
    assert inc is not None and inc.explicit and inc.origin == "dm"


def test_edits_deletions_and_joins_are_not_answered() -> None:
    for subtype in ("message_changed", "message_deleted", "channel_join", "bot_message"):
        assert from_message(message_event(BOUNCE, subtype=subtype), BOT_USER) is None


def test_the_bots_own_and_other_bots_messages_are_not_answered() -> None:
    assert from_message(message_event(BOUNCE, user=BOT_USER), BOT_USER) is None
    assert from_message(message_event(BOUNCE, bot_id=BOT_ID), BOT_USER) is None
    assert from_message(message_event(BOUNCE, user="U0OTHER", bot_id="B0OTHER"), BOT_USER) is None


def test_a_message_mentioning_the_bot_is_left_to_its_app_mention_event() -> None:
    assert from_message(message_event(f"<@{BOT_USER}> {BOUNCE}"), BOT_USER) is None
    mention = from_mention(
        message_event(f"<@{BOT_USER}> {BOUNCE}", event_type="app_mention"), BOT_USER
    )
    assert mention is not None and mention.explicit
    assert mention.text == "550 5.1.1 <bob@example.com>: User unknown"


def test_channels_outside_the_watch_list_are_not_overheard() -> None:
    assert from_message(message_event(BOUNCE), BOT_USER, watch_channels=("C0OTHER",)) is None
    assert from_message(message_event(BOUNCE), BOT_USER, watch_channels=(CHANNEL,)) is not None


def test_a_slash_command_keeps_its_name_and_help_maps_to_the_dispatchers_help() -> None:
    inc = from_command(command_form("/mailcheck", "<http://example.com|example.com>", "http://x"))
    assert inc.text == "/mailcheck example.com"
    assert inc.thread is None and inc.explicit and inc.key and inc.key.startswith("slack:trigger:")
    helped = from_command(command_form("/mailhelp", "", "http://x"))
    assert helped.text == "/help" and helped.private


def test_the_shortcut_explains_the_message_it_was_used_on_in_its_thread() -> None:
    message = message_event(BOUNCE)["event"]
    inc = from_shortcut(shortcut_payload(message, "http://x"), BOT_USER)
    assert inc.text == "550 5.1.1 <bob@example.com>: User unknown"
    assert inc.thread == message["ts"] and inc.user == USER and inc.explicit
