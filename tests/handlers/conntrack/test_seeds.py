"""The connection tracks printed in seed 000 (read from ../shared at test time) are analysed too."""

from __future__ import annotations

import re

from handlers.conntrack.analyse import analyse_text
from handlers.conntrack.model import Step
from tests.lab.binaries import shared_dir


def _blocks() -> list[str]:
    [seed] = sorted((shared_dir() / "seeds").glob("000_*.txt"))
    return re.findall(r"```\n(.*?)```", seed.read_text(), re.S)


def test_the_inbound_track_fails_at_rcpt_to_with_user_unknown() -> None:
    v = analyse_text(_blocks()[0])
    assert (v.failed_step, v.reply_code, v.status_code) == (Step.RCPT_TO, "550", "5.1.1")


def test_the_greylisted_track_is_recognised_as_greylisting() -> None:
    v = analyse_text(_blocks()[1])
    assert v.greylisted and v.reply_code == "421" and not v.permanent
