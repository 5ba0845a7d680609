"""Block Kit rendering keeps Slack's limits and escapes hostile text exactly once."""

from __future__ import annotations

import json

from bot.render.slack import (
    MAX_BLOCKS,
    MAX_SECTION_TEXT,
    all_messages,
    asked_by,
    detail_messages,
    escape,
    summary_messages,
)
from handlers.reply import Finding, Reply, Section, Status
from tests.bot.slack.conftest import answer


def texts(messages: list) -> list[str]:  # type: ignore[type-arg]
    out = []
    for m in messages:
        for b in m.blocks:
            if b["type"] == "section":
                out.append(b["text"]["text"])
            else:
                out += [e["text"] for e in b["elements"]]
    return out


def test_the_summary_goes_first_and_thread_sections_only_to_the_details() -> None:
    reply = answer()
    summary = "\n".join(texts(summary_messages(reply)))
    details = "\n".join(texts(detail_messages(reply)))
    assert summary.startswith(":x: *Mailbox unknown*")
    assert "Check the address for typos." in summary
    assert "Raw reply" not in summary
    assert "```\n550 5.1.1 &lt;bob@example.com&gt;\n```" in details


def test_hostile_text_is_escaped_once_so_it_cannot_ping_or_inject() -> None:
    reply = Reply(
        title="<!channel> & <script>",
        summary="<!here> Tom &amp; Jerry <@U0ABC> <http://evil|click>",
        sections=(Section(heading="h", findings=(Finding("spf", Status.FAIL, "<!everyone>"),)),),
    )
    messages = all_messages(reply)
    rendered = json.dumps([m.as_kwargs() for m in messages])
    for raw in ("<!channel>", "<!here>", "<!everyone>", "<script>", "<@U0ABC>", "<http://evil"):
        assert raw not in rendered
    body = "\n".join(texts(messages))
    assert "&lt;!channel&gt; &amp; &lt;script&gt;" in body
    assert "Tom &amp;amp; Jerry" in body  # escaped once: the user's literal `&amp;` stays visible
    assert "&lt;!here&gt;" in messages[0].text  # the plain fallback is escaped too


def test_no_section_text_is_longer_than_3000_characters_even_for_one_huge_line() -> None:
    huge = "&" * 5000 + "\n" + "x" * 7000
    reply = Reply(title="t", summary=huge, sections=(Section(heading="code", code="<" * 9000),))
    for text in texts(all_messages(reply)):
        assert len(text) <= MAX_SECTION_TEXT
        assert not text.endswith(("&", "&a", "&am", "&amp", "&l", "&lt", "&g", "&gt"))


def test_a_long_answer_is_split_into_messages_of_at_most_50_blocks() -> None:
    findings = tuple(
        Finding("dnsbl", Status.WARN, f"zone{i}.example", evidence="127.0.0.2", detail="x" * 400)
        for i in range(300)
    )
    sections = tuple(
        Section(heading=f"part {i}", findings=findings[i * 5 : i * 5 + 5]) for i in range(60)
    )
    messages = all_messages(Reply(title="t", summary="s", sections=sections))
    assert len(messages) > 1
    assert all(len(m.blocks) <= MAX_BLOCKS for m in messages)
    joined = "\n".join(texts(messages))
    assert all(f"zone{i}.example" in joined for i in range(300))


def test_every_message_has_a_plain_text_fallback() -> None:
    sections = tuple(Section(heading=f"s{i}", text=f"line {i}", in_thread=True) for i in range(120))
    for m in all_messages(Reply(title="t", summary="s", sections=sections)):
        assert m.text.strip()
        assert len(m.text) <= 3000


def test_escape_replaces_only_slacks_three_control_characters() -> None:
    assert escape("a & b < c > d *e* `f`") == "a &amp; b &lt; c &gt; d *e* `f`"


def test_headings_follow_the_answers_language() -> None:
    reply = answer(lang="zh-TW", references=("https://example.com/help",))
    assert any("處理步驟" in t for t in texts(summary_messages(reply)))
    assert any("參考資料" in t for t in texts(detail_messages(reply)))


def test_the_asker_line_mentions_a_real_user_id_and_escapes_the_request() -> None:
    assert asked_by("U0ALICE01", "/mailcheck <!channel> & `x`") == (
        "<@U0ALICE01>: `/mailcheck &lt;!channel&gt; &amp; 'x'`"
    )
    assert asked_by("<!here>", "/help").startswith("&lt;!here&gt;: ")
    lead = summary_messages(answer(), asked_by("U0ALICE01", "/help"))[0].blocks[0]
    assert lead["type"] == "context"
