"""Telegram HTML rendering: escaped once, every message valid and within 4096, split at lines."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.render.telegram import LIMIT, MAX_MESSAGES, pack, render, units
from handlers.reply import Finding, Reply, Section, Status
from tests.fakes.telegram_html import check_message

HOSTILE = "<postmaster@example.com> & <<b>> </pre> &amp; &lt; _under_ *star* `tick` <i>"


def shown(reply: Reply) -> list[str]:
    """What a reader sees of each message, checked as strictly as Telegram checks it."""
    return [check_message(m.html, "HTML") for m in render(reply).messages]


def test_hostile_text_in_every_field_reads_back_exactly() -> None:
    reply = Reply(
        title=HOSTILE,
        summary=HOSTILE,
        status=Status.FAIL,
        sections=(
            Section(
                heading=HOSTILE,
                status=Status.WARN,
                text=HOSTILE,
                fields=((HOSTILE, HOSTILE),),
                findings=(Finding("spf", Status.FAIL, HOSTILE, evidence=HOSTILE, detail=HOSTILE),),
                steps=(HOSTILE,),
                code=HOSTILE,
            ),
        ),
        steps=(HOSTILE,),
        actions=(HOSTILE,),
        references=(HOSTILE,),
    )
    (text,) = shown(reply)
    assert text.count(HOSTILE) == 14


def test_a_long_answer_splits_between_lines_and_keeps_every_line_whole() -> None:
    lines = [f"{i:05d} 550 5.7.1 <u{i}@example.com> rejected & logged" for i in range(300)]
    reply = Reply(title="t", summary="s", sections=(Section(heading="h", text="\n".join(lines)),))
    texts = shown(reply)
    assert len(texts) > 1
    assert all(units(m.html) <= LIMIT for m in render(reply).messages)
    seen = [line for text in texts for line in text.splitlines()]
    assert [line for line in seen if line[:5].isdigit()] == lines


def test_a_huge_code_block_becomes_several_closed_pre_blocks() -> None:
    code = "\n".join(f"<<< 550-5.7.1 line {i} & more" for i in range(300))
    messages = render(
        Reply(title="t", summary="s", sections=(Section(heading="h", code=code),))
    ).messages
    assert 3 < len(messages) <= MAX_MESSAGES
    assert all(m.html.count("<pre>") == m.html.count("</pre>") for m in messages)
    texts = [check_message(m.html, "HTML") for m in messages]
    assert "\n".join(texts).count("& more") == 300


def test_one_line_longer_than_a_message_is_cut_without_losing_characters() -> None:
    line = "&<>" * 800 + " tail"
    texts = shown(Reply(title="t", summary=line))
    assert len(texts) > 1
    assert "".join(t.removeprefix("ℹ️ t\n") for t in texts) == line


def test_an_answer_too_long_for_a_chat_is_cut_and_says_how_much_is_left_out() -> None:
    code = "\n".join(f"line {i}" + "x" * 90 for i in range(2000))  # about 50 messages
    reply = Reply(title="t", summary="s", sections=(Section(heading="h", code=code),), lang="zh-TW")
    messages = render(reply).messages
    assert len(messages) == MAX_MESSAGES
    assert "的內容未送出" in check_message(messages[-1].html, "HTML")


def test_blank_lines_alone_make_no_message() -> None:
    assert pack([(), ()]) == ()


def test_thread_sections_become_the_messages_after_the_summary() -> None:
    reply = Reply(
        title="Bounce explained",
        summary="One recipient failed.",
        sections=(
            Section(heading="Recipient", text="bob@example.com: user unknown"),
            Section(heading="Raw DSN", code="Diagnostic-Code: smtp; 550 5.1.1", in_thread=True),
        ),
    )
    out = render(reply)
    (main,) = out.main
    (detail,) = out.details
    assert "One recipient failed." in main.html and "Raw DSN" not in main.html
    assert "<pre>Diagnostic-Code: smtp; 550 5.1.1</pre>" in detail.html


@settings(max_examples=60, deadline=None)
@given(
    summary=st.text(alphabet="<>&_*`\"' \nab漢😀", max_size=9000),
    code=st.text(alphabet="<>&_*`\"' \nab漢😀", max_size=9000),
)
def test_any_text_renders_to_valid_messages_within_the_limit(summary: str, code: str) -> None:
    reply = Reply(title="t", summary=summary, sections=(Section(heading="h", code=code),))
    for message in render(reply).messages:
        assert units(message.html) <= LIMIT
        check_message(message.html, "HTML")
