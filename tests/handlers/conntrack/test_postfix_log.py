"""Real Postfix 3.7 and Dovecot 2.3 log lines (../shared/reference) become one track per case."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from handlers.conntrack.model import Track
from handlers.conntrack.postfix_log import read_tracks
from tests.lab.binaries import shared_dir

NOW = datetime(2026, 11, 23, 12, 5, tzinfo=UTC).timestamp()


def _reference() -> list[str]:
    ref = shared_dir() / "reference" / "appliance"
    return (ref / "sample_maillog.txt").read_text().splitlines() + (
        ref / "sample_dovecot.log"
    ).read_text().splitlines()


def _rfc3339(line: str) -> str:
    stamp = datetime.strptime("2026 " + line[:15], "%Y %b %d %H:%M:%S")
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.123456+00:00") + line[15:]


@pytest.fixture(scope="module")
def tracks() -> list[Track]:
    return read_tracks(_reference(), tz=UTC, now=NOW)


def _by(tracks: list[Track], recipient: str, status: str | None = None) -> Track:
    found = [
        t for t in tracks if t.recipient == recipient and (status is None or t.status == status)
    ]
    assert found, recipient
    return found[0]


def test_every_case_of_the_reference_lab_gets_its_outcome_and_step(tracks: list[Track]) -> None:
    table = {
        t.id: (t.recipient, str(t.status), str(t.failed_step))
        for t in tracks
        if t.recipient and t.recipient != "sender@client.test"
    }
    assert sorted(table.values()) == sorted(
        [
            ("good@relay.test", "sent", ""),
            ("cs@relay.test", "bounced", "rcpt_to"),
            ("nobody@relay.test", "rejected", "rcpt_to"),  # gateway NOQUEUE reject
            ("grey@relay.test", "sent", ""),  # greylisted, then delivered on retry
            ("grey421@relay.test", "sent", ""),
            ("user@nomx.test", "bounced", "dns"),  # deferred, then expired
            ("user@nxdomain.test", "bounced", "dns"),
            ("user@refused.test", "bounced", "connect"),
            ("full@relay.test", "bounced", "rcpt_to"),
            ("nobody@relay.test", "rejected", "rcpt_to"),  # reject inside a queued session
            ("cs@relay.test", "bounced", "rcpt_to"),
            ("good@relay.test", "sent", ""),
            ("nobody@relay.test", "rejected", "rcpt_to"),  # debug transcript session
            ("good@relay.test", "sent", ""),
            ("good@relay.test", "rejected", "rcpt_to"),  # postscreen denylist
            ("good@relay.test", "rejected", "rcpt_to"),  # postscreen DNSBL
            ("someone@elsewhere.test", "rejected", "rcpt_to"),  # relay access denied
            ("good@relay.test", "sent", ""),  # after SASL login
        ]
    )


def test_a_delivery_track_carries_the_smtpd_session_and_the_smtp_transcript(
    tracks: list[Track],
) -> None:
    t = _by(tracks, "cs@relay.test")
    assert (
        t.client == "127.0.0.1" and t.sender == "sender@client.test" and t.direction == "outbound"
    )
    assert any("connect from localhost[127.0.0.1]" in line for line in t.transcript)
    assert any(line.endswith("RCPT TO:<cs@relay.test>") for line in t.transcript)
    assert (t.reply_code, t.status_code) == ("550", "5.1.1")


def test_a_dnsbl_reject_keeps_the_blocklist_in_its_reason(tracks: list[Track]) -> None:
    t = next(t for t in tracks if t.client == "127.0.0.7")
    assert "blocked using rbl.test" in t.reason and t.status_code == "5.7.1"
    assert "DNSBL rank 2" in t.transcript[-2] and "CONNECT from" in t.transcript[0]


def test_a_delivery_carries_no_leftovers_of_the_smtp_process_s_previous_session(
    tracks: list[Track],
) -> None:
    dns = _by(tracks, "user@nomx.test")
    assert not [line for line in dns.transcript if "127.0.0.3" in line or "subsystem" in line]
    refused = _by(tracks, "user@refused.test")
    assert refused.transcript[4].endswith("2599: Connection refused")


def test_a_failed_sasl_login_is_a_login_failure_at_auth(tracks: list[Track]) -> None:
    [t] = [t for t in tracks if t.failed_step == "auth"]
    assert (t.status, t.sender, t.client) == ("login_failed", "cs", "127.0.0.1")


def test_dovecot_logins_are_tracks_with_the_auth_reason(tracks: list[Track]) -> None:
    logins = sorted(
        (t.protocol, t.sender, str(t.status), t.reason) for t in tracks if t.protocol != "smtp"
    )
    assert logins == [
        ("imap", "alice", "ok", ""),
        ("imap", "cs", "login_failed", "Password mismatch"),
        ("pop3", "alice", "ok", ""),
        ("pop3", "cs", "login_failed", "Password mismatch"),
        ("pop3", "ghost", "login_failed", "unknown user"),
    ]


def test_rfc3339_timestamps_read_the_same_as_classic_ones(tracks: list[Track]) -> None:
    iso = read_tracks([_rfc3339(line) for line in _reference()], tz=UTC, now=NOW)
    assert [(t.id, t.status, t.failed_step, int(t.time)) for t in iso] == [
        (t.id, t.status, t.failed_step, t.time) for t in tracks
    ]


def test_classic_timestamps_take_the_year_that_is_not_in_the_future() -> None:
    line = "Dec 31 23:59:59 mx postfix/smtpd[1]: NOQUEUE: reject: RCPT from x[192.0.2.1]: 554 5.7.1 <a@b.example>: Relay access denied; from=<c@d.example> to=<a@b.example> proto=ESMTP helo=<x>"
    [t] = read_tracks([line], tz=UTC, now=NOW)
    assert datetime.fromtimestamp(t.time, UTC).year == 2025


def test_dovecot_through_syslog_reads_like_its_own_log_file() -> None:
    lines = [
        "Nov 23 11:59:12 mx dovecot: auth: passwd-file(cs,127.0.0.1,<zzV3UvBgZud/AAAB>): Password mismatch",
        "Nov 23 11:59:14 mx dovecot: imap-login: Disconnected: Aborted login by logging out (auth failed, 1 attempts in 2 secs): user=<cs@example.com>, method=PLAIN, rip=192.0.2.44, lip=127.0.0.1, secured, session=<zzV3UvBgZud/AAAB>",
    ]
    [t] = read_tracks(lines, tz=UTC, now=NOW)
    assert (t.protocol, t.sender, t.client, t.reason) == (
        "imap",
        "cs@example.com",
        "192.0.2.44",
        "Password mismatch",
    )
    assert t.involves("cs@example.com") and not t.involves("cs@other.example")


def test_lines_that_are_not_mail_log_lines_are_skipped() -> None:
    assert (
        read_tracks(["", "garbage", "Nov 23 11:00:00 host kernel: eth0 up"], tz=UTC, now=NOW) == []
    )
