"""The console text and JSON renderings show every part of a Reply."""

from __future__ import annotations

import json

from bot.render.json import reply_data
from bot.render.text import render, summary_text
from handlers.reply import Finding, Kind, Reply, Section, Status

REPLY = Reply(
    title="example.com cannot receive mail",
    summary="The MX host has no address.",
    status=Status.FAIL,
    sections=(
        Section(
            heading="MX",
            status=Status.FAIL,
            fields=(("host", "mx1.example.com"),),
            findings=(
                Finding("mx", Status.FAIL, "mx1.example.com", "no A/AAAA", "MX without address"),
            ),
        ),
        Section(
            heading="Transcript", code="> RCPT TO:<a@example.com>\n< 550 5.1.1", in_thread=True
        ),
    ),
    steps=("Add an A record for mx1.example.com.",),
    references=("https://www.rfc-editor.org/rfc/rfc5321",),
    actions=("/mailcheck 192.0.2.1",),
)


def test_text_shows_summary_sections_steps_and_thread_details() -> None:
    text = render(REPLY)
    assert text.startswith("[FAIL] example.com cannot receive mail\nThe MX host has no address.")
    assert "[FAIL] mx mx1.example.com: MX without address (no A/AAAA)" in text
    assert "1. Add an A record" in text and "/mailcheck 192.0.2.1" in text
    assert "| < 550 5.1.1" in text
    assert "| < 550" not in render(REPLY, details=False)
    assert summary_text(REPLY).count("\n") == 1


def test_json_keeps_everything_and_is_serialisable() -> None:
    data = reply_data(REPLY)
    assert json.loads(json.dumps(data)) == data
    assert data["status"] == "fail" and data["kind"] == str(Kind.ANSWER)
    assert data["sections"][0]["findings"][0]["check"] == "mx"
    assert data["sections"][1]["in_thread"] is True
