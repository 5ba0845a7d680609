"""`mailtriage explain`: JSON lines per recipient for scripts, text answers for people."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli.main import main

POSTFIX = (
    "From: MAILER-DAEMON@mx.example\nTo: a@sender.example\nSubject: Undelivered Mail\n"
    'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\n\n'
    "--b\nContent-Type: text/plain\n\nI could not deliver your message.\n\n"
    "--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example\n\n"
    "Final-Recipient: rfc822; bob@rcpt.example\nAction: failed\nStatus: 5.1.1\n"
    "Diagnostic-Code: smtp; 550 5.1.1 <bob@rcpt.example>: User unknown\n\n"
    "Final-Recipient: rfc822; carol@rcpt.example\nAction: failed\nStatus: 5.2.2\n"
    "Diagnostic-Code: smtp; 552 5.2.2 <carol@rcpt.example>: Mailbox full\n\n--b--\n"
)
KEYS = {"file", "index", "recipient", "reason", "reply_code", "status", "temporary", "remote_host"}


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, object]]:
    assert main(["explain", "--json", *args]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_a_directory_is_walked_and_every_recipient_is_a_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "corpus" / "sub").mkdir(parents=True)
    (tmp_path / "corpus" / "sub" / "bounce.eml").write_text(POSTFIX)
    (tmp_path / "corpus" / "chat.txt").write_text("lunch at noon?\n")
    monkeypatch.chdir(tmp_path)
    rows = run_json(capsys, "corpus")
    by_file = {(r["file"], r["index"]): r for r in rows}
    assert set(rows[0]) >= KEYS and "diagnostic" in rows[0]
    bob = by_file[("corpus/sub/bounce.eml", 1)]
    assert (bob["recipient"], bob["reason"], bob["status"]) == (
        "bob@rcpt.example",
        "userunknown",
        "5.1.1",
    )
    assert by_file[("corpus/sub/bounce.eml", 2)]["reason"] == "mailboxfull"
    chat = by_file[("corpus/chat.txt", 0)]
    assert chat["reason"] is None and chat["error"]


def test_an_mbox_file_holds_several_messages(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mbox = tmp_path / "mbox"
    mbox.write_text(
        "From MAILER-DAEMON Thu Jan  1 00:00:00 2026\n" + POSTFIX + "\n"
        "From MAILER-DAEMON Thu Jan  1 00:00:01 2026\n" + POSTFIX
    )
    rows = run_json(capsys, str(mbox))
    assert [r["index"] for r in rows] == [1, 2, 3, 4]


def test_per_line_treats_every_line_as_a_paste(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = tmp_path / "lines.txt"
    lines.write_text(
        "550 5.1.1 <a@b.example>: Recipient address rejected: User unknown\n\n"
        "452 4.2.2 <c@d.example>: Mailbox full\n"
    )
    rows = run_json(capsys, "--per-line", str(lines))
    assert [(r["file"], r["reason"]) for r in rows] == [
        (f"{lines}:1", "userunknown"),
        (f"{lines}:3", "mailboxfull"),
    ]


def test_without_json_it_answers_in_the_chosen_language(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "b.eml"
    path.write_text(POSTFIX)
    assert main(["explain", "--lang", "zh-TW", str(path)]) == 0
    out = capsys.readouterr().out
    assert "退信解析" in out and "bob@rcpt.example" in out


def test_a_missing_file_is_a_short_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "--json", "/nonexistent/bounce.eml"]) != 0
    assert "cannot read" in capsys.readouterr().err
