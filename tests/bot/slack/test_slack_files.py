"""Shared files are read only when they are text, only from Slack's hosts, and only up to the limit."""

from __future__ import annotations

import json

from bot.slack.events import from_message
from bot.slack.files import FileReader
from bot.slack.poster import build_client
from tests.bot.slack.conftest import Asked, Make
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_payloads import message_event


def reader(fake: FakeSlackApi, limit: int = 1000) -> FileReader:
    return FileReader(build_client(fake.bot_token, fake.api_url), fake.api_url, limit)


def test_the_bot_token_is_only_sent_to_slacks_own_file_hosts() -> None:
    files = FileReader(
        build_client("xoxb-x", "https://slack.com/api/"), "https://slack.com/api/", 10
    )
    assert files.trusted("https://files.slack.com/files-pri/T1-F1/download/bounce.txt")
    assert not files.trusted("http://files.slack.com/files-pri/T1-F1/bounce.txt")
    assert not files.trusted("https://files.slack.com.evil.example/bounce.txt")
    assert not files.trusted("https://evil.example/files.slack.com/bounce.txt")


async def test_a_text_snippet_is_read_and_an_image_skipped(fake: FakeSlackApi) -> None:
    text = fake.add_file("F1", "bounce.txt", b"550 5.1.1 user unknown")
    image = fake.add_file("F2", "shot.png", b"\x89PNG", filetype="png", mimetype="image/png")
    got = await reader(fake).read([text, image])
    assert got.texts == ["550 5.1.1 user unknown"] and got.problems == []
    assert [c.path for c in fake.calls_to("files.download")] == ["/files/F1/bounce.txt"]


async def test_a_file_over_the_paste_limit_is_not_downloaded(fake: FakeSlackApi) -> None:
    big = fake.add_file("F3", "huge.eml", b"x" * 5000, filetype="email", mimetype="message/rfc822")
    got = await reader(fake, limit=1000).read([big])
    assert got.texts == [] and got.problems[0].kind == "too_large"
    assert fake.calls_to("files.download") == []


async def test_slacks_sign_in_page_is_not_taken_for_the_file(fake: FakeSlackApi) -> None:
    snippet = fake.add_file("F4", "bounce.txt", b"550 5.1.1 user unknown")
    wrong = FileReader(build_client("xoxb-wrong", fake.api_url), fake.api_url, 1000)
    got = await wrong.read([snippet])
    assert got.texts == [] and got.problems[0].kind == "unreadable"


async def test_a_dm_with_an_unreadable_file_gets_a_note_saying_so(
    fake: FakeSlackApi, make_adapter: Make
) -> None:
    asked = Asked()
    adapter = make_adapter(asked)
    stub = {"id": "F404", "name": "gone.txt", "filetype": "text", "size": 10}
    body = message_event(
        "", channel="D0DM00001", channel_type="im", subtype="file_share", files=[stub]
    )
    inc = from_message(body, None)
    assert inc is not None
    await adapter.responder.answer(inc)
    note = json.dumps(fake.calls_to("chat.postEphemeral")[0].args)
    assert "gone.txt" in note and "Paste its text instead" in note
