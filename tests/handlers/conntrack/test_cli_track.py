"""`mailtriage track --json ADDRESS` prints one JSON object per track with exactly the contract's keys."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import pytest

from bot.cli import track as track_cli
from handlers.conntrack.model import JSON_FIELDS


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    track_cli.configure(parser)
    return parser.parse_args(list(argv))


@pytest.fixture
def postfix_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    stamp = time.strftime("%b %d %H:%M:%S", time.localtime(time.time() - 120))
    log = tmp_path / "mail.log"
    log.write_text(
        f"{stamp} mx postfix/smtpd[5]: connect from client.example.net[192.0.2.10]\n"
        f"{stamp} mx postfix/smtpd[5]: NOQUEUE: reject: RCPT from client.example.net[192.0.2.10]: 550 5.1.1 <bob@example.org>: Recipient address rejected: User unknown in virtual mailbox table; from=<amy@example.net> to=<bob@example.org> proto=ESMTP helo=<client.example.net>\n"
    )
    monkeypatch.setenv("MAILTRIAGE_APPLIANCE_KIND", "postfix")
    monkeypatch.setenv("MAILTRIAGE_APPLIANCE_LOGS", str(log))
    monkeypatch.setenv("MAILTRIAGE_DB", f"sqlite:///{tmp_path / 'db.sqlite3'}")
    return log


def test_json_lines_have_exactly_the_contract_keys(
    postfix_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert track_cli.run(_args("--json", "bob@example.org", "--since", "1h")) == 0
    [line] = capsys.readouterr().out.splitlines()
    obj = json.loads(line)
    assert tuple(obj) == JSON_FIELDS
    assert (obj["status"], obj["failed_step"], obj["reply_code"], obj["status_code"]) == (
        "rejected",
        "rcpt_to",
        "550",
        "5.1.1",
    )
    assert obj["client"] == "192.0.2.10" and obj["time"].endswith("Z")
    assert isinstance(obj["transcript"], list) and len(obj["transcript"]) == 2


def test_text_output_is_the_chat_answer(
    postfix_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert track_cli.run(_args("bob@example.org", "--lang", "zh-TW")) == 0
    assert "被拒收" in capsys.readouterr().out


def test_a_bad_window_is_a_usage_error(
    postfix_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert track_cli.run(_args("--json", "bob@example.org", "--since", "soon")) == 2
    assert "not a time window" in capsys.readouterr().err


def test_an_unreadable_log_is_a_failure_without_traceback(
    postfix_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MAILTRIAGE_APPLIANCE_LOGS", str(postfix_env.parent / "gone.log"))
    assert track_cli.run(_args("--json", "bob@example.org")) == 1
    err = capsys.readouterr().err
    assert "gone.log" in err and "Traceback" not in err
