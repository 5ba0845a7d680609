"""`appliance serve` follows its logs: appended lines show up, a rotated log is read from the start."""

from __future__ import annotations

import os
from pathlib import Path

from bot.appliance.follow import FollowedLogs

STAMP = "Nov 23 11:58:34"
REJECT = (
    STAMP
    + " mx postfix/smtpd[7]: NOQUEUE: reject: RCPT from x[192.0.2.{n}]: 550 5.1.1 <u{n}@example.org>: "
    "Recipient address rejected: User unknown; from=<a@example.net> to=<u{n}@example.org> proto=ESMTP helo=<x>\n"
)


def test_appended_lines_are_read_and_a_half_written_line_waits(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    log.write_text(REJECT.format(n=1))
    logs = FollowedLogs([str(log)])
    assert [t.recipient for t in logs.refresh()] == ["u1@example.org"]
    with log.open("a") as fh:
        fh.write(REJECT.format(n=2) + REJECT.format(n=3)[:40])
    assert {t.recipient for t in logs.refresh()} == {"u1@example.org", "u2@example.org"}
    with log.open("a") as fh:
        fh.write(REJECT.format(n=3)[40:])
    assert len(logs.refresh()) == 3
    assert logs.refresh() is logs.refresh()  # nothing new: no work


def test_a_rotated_log_is_read_again_from_the_start(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    log.write_text(REJECT.format(n=1) + REJECT.format(n=2))
    logs = FollowedLogs([str(log)])
    assert len(logs.refresh()) == 2
    os.rename(log, tmp_path / "mail.log.1")
    log.write_text(REJECT.format(n=9))
    assert [t.recipient for t in logs.refresh()] == ["u9@example.org"]
