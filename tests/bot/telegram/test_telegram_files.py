"""Bounce files sent as Telegram documents: fetched with getFile and the file URL, read like a paste,
and refused with a short note when too large or not text."""

from __future__ import annotations

import asyncio
import codecs
from collections.abc import AsyncIterator

import pytest

from bot.runtime import Runtime
from bot.store.sql import SqlStore
from bot.telegram.files import decode, is_binary
from handlers.request import Context
from tests.bot.telegram.telegram_rig import Asked, answer_with, running_bot, settings_for
from tests.fakes.telegram_api import BOT_USERNAME, FakeTelegramAPI

GROUP = -1001234567890

DSN = b"""From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\r
To: ada@example.org\r
Subject: Undelivered Mail Returned to Sender\r
MIME-Version: 1.0\r
Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\r
\r
--b1\r
Content-Type: text/plain; charset=us-ascii\r
\r
I'm sorry to have to inform you that your message could not\r
be delivered to one or more recipients.\r
\r
<kim@example.net>: host mx.example.net[192.0.2.25] said: 550 5.1.1\r
    <kim@example.net>: Recipient address rejected: User unknown in virtual\r
    mailbox table (in reply to RCPT TO command)\r
\r
--b1\r
Content-Type: message/delivery-status\r
\r
Reporting-MTA: dns; mx.example.org\r
\r
Final-Recipient: rfc822; kim@example.net\r
Action: failed\r
Status: 5.1.1\r
Diagnostic-Code: smtp; 550 5.1.1 <kim@example.net>: Recipient address rejected:\r
    User unknown in virtual mailbox table\r
\r
--b1--\r
"""

OUTLOOK_MSG = bytes.fromhex("d0cf11e0a1b11ae1") + b"\x00" * 512 + b"Subject" * 10


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeTelegramAPI]:
    async with FakeTelegramAPI().running() as api:
        yield api


def runtime_for(fake: FakeTelegramAPI, store: SqlStore, **values: object) -> Runtime:
    settings = settings_for(fake, **values)
    return Runtime(settings, store, Context(settings=settings.handler_settings(), store=store))


async def test_an_eml_file_in_a_forum_topic_is_explained_there_like_a_paste(
    fake_api: FakeTelegramAPI, store: SqlStore
) -> None:
    runtime = runtime_for(fake_api, store)
    document = fake_api.add_document(DSN, "Undelivered Mail.eml", "message/rfc822")
    async with running_bot(fake_api, store, runtime.ask):
        update = fake_api.deliver(
            fake_api.message_update(
                "", document=document, chat_id=GROUP, chat_type="supergroup", topic=77
            )
        )
        sent = await fake_api.wait_sent(1)
    assert fake_api.downloads == ["documents/file_1.eml"]
    assert [c.params["file_id"] for c in fake_api.calls if c.method == "getFile"] == [
        document["file_id"]
    ]
    first = sent[0]
    assert first.message_thread_id == 77
    assert first.reply_to == update["message"]["message_id"]
    shown = "\n".join(m.shown for m in sent)
    assert "kim@example.net" in shown and "5.1.1" in shown


async def test_the_caption_and_the_file_text_are_asked_together_as_one_paste(
    fake_api: FakeTelegramAPI, store: SqlStore
) -> None:
    ask = answer_with("kim@example.net does not exist")
    document = fake_api.add_document(
        b"550 5.1.1 <kim@example.net> User unknown", "bounce.txt", None
    )
    async with running_bot(fake_api, store, ask):
        fake_api.deliver(
            fake_api.message_update(
                f"@{BOT_USERNAME} why?", document=document, chat_id=GROUP, chat_type="supergroup"
            )
        )
        await fake_api.wait_sent(1)
    (req,) = ask.requests
    assert req.text == "why?\n\n550 5.1.1 <kim@example.net> User unknown"
    assert req.explicit and req.channel == str(GROUP)


async def test_a_text_file_without_extension_is_read_by_its_content(
    fake_api: FakeTelegramAPI, store: SqlStore
) -> None:
    ask = answer_with()
    text = "Diagnostic-Code: smtp; 552 5.2.2 mailbox full — 信箱已滿".encode()
    document = fake_api.add_document(text, "bounce", "application/octet-stream")
    async with running_bot(fake_api, store, ask):
        fake_api.deliver(fake_api.message_update("", document=document))
        await fake_api.wait_sent(1)
    assert [r.text for r in ask.requests] == [text.decode()]


@pytest.mark.parametrize(
    ("lang", "words"),
    [("en", "is too large: I read files of up to 1 kB"), ("zh-TW", "檔案太大")],
)
async def test_a_file_over_the_paste_limit_is_refused_before_it_is_fetched(
    fake_api: FakeTelegramAPI, store: SqlStore, lang: str, words: str
) -> None:
    ask = answer_with()
    document = fake_api.add_document(DSN * 10, "big.eml")
    async with running_bot(fake_api, store, ask, max_paste=1000, lang=lang):
        update = fake_api.deliver(fake_api.message_update("", document=document))
        (sent,) = await fake_api.wait_sent(1)
    assert ask.requests == []
    assert not [c for c in fake_api.calls if c.method == "getFile"] and fake_api.downloads == []
    assert "big.eml" in sent.shown and words in sent.shown
    assert sent.reply_to == update["message"]["message_id"]


async def test_a_file_whose_size_only_getfile_tells_is_refused_before_download(
    fake_api: FakeTelegramAPI, store: SqlStore
) -> None:
    ask = answer_with()
    document = fake_api.add_document(DSN * 10, "big.eml", report_size=False)
    async with running_bot(fake_api, store, ask, max_paste=len(DSN)):
        fake_api.deliver(fake_api.message_update("", document=document))
        (sent,) = await fake_api.wait_sent(1)
    assert [c.method for c in fake_api.calls if c.method == "getFile"] == ["getFile"]
    assert fake_api.downloads == [] and ask.requests == []
    assert "too large" in sent.shown


async def test_a_file_over_the_bot_api_download_limit_is_reported_too_large(
    fake_api: FakeTelegramAPI, store: SqlStore
) -> None:
    ask = answer_with()
    document = fake_api.add_document(DSN, "huge.eml", size=25_000_000, report_size=False)
    async with running_bot(fake_api, store, ask, max_paste=50_000_000):
        fake_api.deliver(fake_api.message_update("", document=document))
        (sent,) = await fake_api.wait_sent(1)
    assert [c.status for c in fake_api.calls if c.method == "getFile"] == [400]
    assert "huge.eml is too large" in sent.shown and ask.requests == []


@pytest.mark.parametrize(
    ("content", "name", "mime", "fetched"),
    [
        (OUTLOOK_MSG, "Undeliverable.msg", "application/vnd.ms-outlook", True),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "report.pdf", "application/pdf", False),
    ],
)
async def test_a_binary_file_sent_to_the_bot_gets_a_note_in_the_users_language(
    fake_api: FakeTelegramAPI,
    store: SqlStore,
    content: bytes,
    name: str,
    mime: str,
    fetched: bool,
) -> None:
    ask = answer_with()
    document = fake_api.add_document(content, name, mime)
    async with running_bot(fake_api, store, ask):
        fake_api.deliver(fake_api.message_update("", document=document))
        (sent,) = await fake_api.wait_sent(1)
        await store.set_lang("telegram", "42", "zh-TW")
        fake_api.deliver(fake_api.message_update("", document=document))
        _, again = await fake_api.wait_sent(2)
    assert ask.requests == []
    assert f"{name} is not a text file" in sent.shown and ".eml" in sent.shown
    assert f"{name} 不是文字檔" in again.shown
    assert bool(fake_api.downloads) is fetched


async def test_files_overheard_in_a_group_are_answered_only_when_they_hold_a_bounce(
    fake_api: FakeTelegramAPI, store: SqlStore
) -> None:
    limit = len(DSN) + 100
    runtime = runtime_for(fake_api, store, max_paste=limit)
    chat = {"chat_id": GROUP, "chat_type": "supergroup"}
    notes = fake_api.add_document(b"Agenda: lunch at noon, then the quarterly review.", "notes.txt")
    binary = fake_api.add_document(OUTLOOK_MSG, "old.msg", None)
    big = fake_api.add_document(DSN * 3, "big.eml")
    bounce = fake_api.add_document(DSN, "returned.eml")
    async with running_bot(fake_api, store, runtime.ask, max_paste=limit):
        for document in (notes, binary, big):
            fake_api.deliver(fake_api.message_update("", document=document, **chat))
        answered = fake_api.deliver(fake_api.message_update("", document=bounce, **chat))
        await fake_api.wait_sent(1)
        await asyncio.sleep(0.5)
    first, *rest = fake_api.sent
    assert first.reply_to == answered["message"]["message_id"] and "kim@example.net" in first.shown
    assert {m.reply_to for m in rest} <= {first.message_id}
    assert sorted(fake_api.downloads) == [
        "documents/file_1.txt",
        "documents/file_2.msg",
        "documents/file_4.eml",
    ]


async def test_a_command_in_the_caption_is_answered_without_reading_the_file(
    fake_api: FakeTelegramAPI, store: SqlStore
) -> None:
    ask = answer_with()
    document = fake_api.add_document(DSN, "returned.eml")
    async with running_bot(fake_api, store, ask):
        fake_api.deliver(fake_api.message_update("/mailcheck example.net", document=document))
        await fake_api.wait_sent(1)
    assert [r.text for r in ask.requests] == ["/mailcheck example.net"]
    assert fake_api.downloads == []


async def test_an_unknown_file_id_gets_a_could_not_download_note(
    fake_api: FakeTelegramAPI, store: SqlStore
) -> None:
    ask = Asked(lambda req: None)
    document = {"file_id": "gone", "file_unique_id": "x", "file_name": "gone.eml"}
    async with running_bot(fake_api, store, ask):
        fake_api.deliver(fake_api.message_update("", document=document))
        (sent,) = await fake_api.wait_sent(1)
    assert "could not download gone.eml" in sent.shown and ask.requests == []


def test_text_in_any_common_encoding_is_text_and_office_or_pdf_files_are_not() -> None:
    utf16 = codecs.BOM_UTF16_LE + "550 5.1.1 使用者不存在\r\n".encode("utf-16-le")
    big5 = "550 5.1.1 使用者不存在".encode("big5")
    assert not is_binary(utf16) and decode(utf16) == "550 5.1.1 使用者不存在\r\n"
    assert not is_binary(big5) and decode(big5).startswith("550 5.1.1 ")
    assert decode("550 信箱已滿".encode()) == "550 信箱已滿"
    assert is_binary(OUTLOOK_MSG)
    assert is_binary(bytes(range(256)) * 4)
    assert not is_binary(b"\x1b$B escape sequences of ISO-2022-JP are text\x1b(B\n" * 20)
