"""A command loads only what it needs: explain no network stack, no command the TOML parser."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import platformdirs
import pytest

from bot.config import default_db, user_data_dir

ROOT = Path(__file__).resolve().parents[2]
BOUNCE = (
    "From: MAILER-DAEMON@mx.example\nSubject: Undelivered Mail\n\n"
    "<bob@rcpt.example>: host mx.rcpt.example[192.0.2.1] said: 550 5.1.1 <bob@rcpt.example>: "
    "Recipient address rejected: User unknown (in reply to RCPT TO command)\n"
)
HEAVY = ("asyncio", "dns", "httpx", "ssl", "sqlite3", "slack_sdk", "telegram", "aiohttp")


def _modules_after(args: list[str], tmp_path: Path, stdin: str = "") -> tuple[set[str], str]:
    """The modules a fresh `mailtriage ARGS` process has imported (and their packages), its output."""
    code = (
        "import sys, io, json\n"
        "from bot.cli.main import main\n"
        "out, sys.stdout = sys.stdout, io.StringIO()\n"
        f"status = main({args!r})\n"
        "text, sys.stdout = sys.stdout.getvalue(), out\n"
        "names = {m.split('.')[0] for m in sys.modules} | set(sys.modules)\n"
        "print(json.dumps([status, text, sorted(names)]))\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
    }
    done = subprocess.run(
        [sys.executable, "-c", code],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        check=True,
        timeout=60,
    )
    status, text, modules = json.loads(done.stdout.splitlines()[-1])
    assert status == 0, done.stderr
    return set(modules), text


def test_explain_json_imports_no_network_stack_and_no_knowledge_files(tmp_path: Path) -> None:
    (tmp_path / "bounce.eml").write_text(BOUNCE, encoding="utf-8")
    modules, out = _modules_after(["explain", "--json", "bounce.eml"], tmp_path)
    row = json.loads(out.splitlines()[0])
    assert (row["recipient"], row["reason"]) == ("bob@rcpt.example", "userunknown")
    assert modules.isdisjoint(HEAVY), sorted(modules & set(HEAVY))
    assert "platformdirs" not in modules
    # the JSON path never needs the knowledge base (only the classifier's own rules are cached)
    assert not list((tmp_path / "cache" / "mailtriage").glob("knowledge-*.cache"))


def test_explain_text_reads_the_knowledge_base_from_the_cache_the_second_time(
    tmp_path: Path,
) -> None:
    (tmp_path / "bounce.eml").write_text(BOUNCE, encoding="utf-8")
    first, text = _modules_after(["explain", "bounce.eml"], tmp_path)
    assert "bob@rcpt.example" in text
    assert list((tmp_path / "cache" / "mailtriage").glob("knowledge-*.cache"))
    second, again = _modules_after(["explain", "bounce.eml"], tmp_path)
    assert again == text
    assert first.isdisjoint(HEAVY) and second.isdisjoint(HEAVY)
    assert "knowledge.parse" in first  # parsed the first time...
    assert "knowledge.loader" in second and "knowledge.parse" not in second  # ...not again


def test_the_default_database_is_in_platformdirs_user_data_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert user_data_dir() == Path(platformdirs.user_data_dir("mailtriage"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert user_data_dir() == Path(platformdirs.user_data_dir("mailtriage"))
    assert default_db() == f"sqlite:///{tmp_path / 'data' / 'mailtriage' / 'mailtriage.sqlite3'}"
    monkeypatch.setenv("XDG_DATA_HOME", " ")
    assert user_data_dir() == Path(platformdirs.user_data_dir("mailtriage"))
