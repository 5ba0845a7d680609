"""`mailtriage appliance serve` refuses to start without a token or with a log it cannot read."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from bot.cli import appliance


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    appliance.configure(parser)
    return parser.parse_args(list(argv))


def test_serving_without_a_token_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "mail.log"
    log.write_text("")
    monkeypatch.delenv("MAILTRIAGE_APPLIANCE_TOKEN", raising=False)
    assert appliance.run(_args("serve", "--log", str(log))) == 2
    assert "MAILTRIAGE_APPLIANCE_TOKEN" in capsys.readouterr().err


def test_serving_a_log_that_cannot_be_read_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MAILTRIAGE_APPLIANCE_TOKEN", "t")
    assert (
        appliance.run(_args("serve", "--port", "18025", "--log", str(tmp_path / "nope.log"))) == 2
    )
    assert "nope.log" in capsys.readouterr().err
