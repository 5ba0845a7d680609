"""The `mailtriage` command: help, the console chat with no tokens, exit statuses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli.main import SUBCOMMANDS, main


def run(
    args: list[str], stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "TELEGRAM_", "MAILTRIAGE_"))
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env={**base, **(env or {})},
        check=False,
    )


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for name in ("explain", "check", "track", "monitor", "serve", "console", "appliance"):
        assert name in out
    assert set(SUBCOMMANDS) >= {"explain", "check", "track", "monitor", "serve"}


def test_bad_usage_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["no-such-command"])
    assert exit_.value.code == 2


def test_no_arguments_and_no_tokens_opens_the_console(tmp_path: Path) -> None:
    db = tmp_path / "bot.sqlite3"
    result = run([], stdin="/help\n/lang zh-TW\n/help\n", env={"MAILTRIAGE_DB": f"sqlite:///{db}"})
    assert result.returncode == 0, result.stderr
    assert "mailtriage console" in result.stdout
    assert "/mailcheck" in result.stdout
    assert "之後我會以繁體中文回覆你" in result.stdout
    assert "指令" in result.stdout
    assert db.exists(), "the SQLite file is created on first start"
    assert "Traceback" not in result.stderr


def test_the_console_remembers_the_language_across_starts(tmp_path: Path) -> None:
    env = {"MAILTRIAGE_DB": f"sqlite:///{tmp_path / 'bot.sqlite3'}"}
    run(["console"], stdin="/lang zh-TW\n", env=env)
    result = run(["console"], stdin="/help\n", env=env)
    assert "指令" in result.stdout


def test_a_bad_setting_exits_1_naming_it() -> None:
    result = run(["console"], env={"MAILTRIAGE_LANG": "fr"})
    assert result.returncode == 1
    assert "MAILTRIAGE_LANG" in result.stderr and "Traceback" not in result.stderr


def test_an_unopenable_database_exits_1_naming_the_setting(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = run(["console"], env={"MAILTRIAGE_DB": f"sqlite:///{blocker}/sub/db.sqlite3"})
    assert result.returncode == 1
    assert "MAILTRIAGE_DB" in result.stderr and "Traceback" not in result.stderr
