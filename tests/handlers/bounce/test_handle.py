"""handle() answers a pasted bounce per recipient, in the user's language, and stays quiet otherwise."""

from __future__ import annotations

import pytest

from handlers.bounce import handle
from handlers.errors import UsageError
from handlers.reply import Status
from handlers.request import Context, Request

LINE = "554 5.7.1 Service unavailable; Client host [203.0.113.9] blocked using zen.spamhaus.org"
TWO = (
    "Final-Recipient: rfc822; a@x.example\nStatus: 5.1.1\n"
    "Diagnostic-Code: smtp; 550 5.1.1 <a@x.example>: User unknown\n\n"
    "Final-Recipient: rfc822; b@x.example\nStatus: 5.2.2\n"
    "Diagnostic-Code: smtp; 552 5.2.2 <b@x.example>: Mailbox full\n"
)


async def test_each_recipient_gets_its_own_section_with_fix_steps(ctx: Context) -> None:
    reply = await handle(TWO, Request(text=TWO, lang="en"), ctx)
    assert reply is not None
    assert reply.status is Status.FAIL
    assert reply.summary.startswith("2 recipient(s) failed")
    main = reply.main_sections
    assert [s.heading.split(":")[0] for s in main] == ["a@x.example", "b@x.example"]
    assert all(s.steps for s in main)
    assert [r["reason"] for r in reply.data["recipients"]] == ["userunknown", "mailboxfull"]
    assert all(s.code for s in reply.thread_sections)


async def test_a_blocklisted_ip_offers_the_blocklist_check(ctx: Context) -> None:
    reply = await handle(LINE, Request(text=LINE, lang="en"), ctx)
    assert reply is not None
    assert reply.actions == ("/mailcheck 203.0.113.9", "/mailwatch add 203.0.113.9")
    findings = [f for s in reply.sections for f in s.findings]
    assert findings and findings[0].subject == "zen.spamhaus.org"


async def test_the_answer_speaks_traditional_chinese_when_asked(ctx: Context) -> None:
    text = "550 5.1.1 <a@x.example>: User unknown"
    reply = await handle(text, Request(text=text, lang="zh-TW"), ctx)
    assert reply is not None
    assert reply.title == "退信解析"
    assert "收件人" in reply.summary


async def test_greylisting_is_called_expected(ctx: Context) -> None:
    text = "450 4.2.0 <a@x.example>: Recipient address rejected: Greylisted, please try again"
    reply = await handle(text, Request(text=text, lang="en"), ctx)
    assert reply is not None
    assert "retries by itself" in reply.summary


async def test_overheard_chat_gets_no_answer(ctx: Context) -> None:
    text = "shall we ship the release today?"
    assert await handle(text, Request(text=text, explicit=False), ctx) is None


async def test_an_explicit_paste_without_a_failure_gets_a_usage_note(ctx: Context) -> None:
    text = "shall we ship the release today?"
    with pytest.raises(UsageError):
        await handle(text, Request(text=text, lang="en"), ctx)
    with pytest.raises(UsageError, match="empty"):
        await handle("", Request(text="", lang="en"), ctx)
