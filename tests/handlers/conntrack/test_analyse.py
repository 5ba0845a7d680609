"""Transcripts pasted the way appliances show them, and log lines, give the step that failed."""

from __future__ import annotations

import pytest

from handlers.conntrack.analyse import analyse, analyse_text, split_transcript
from handlers.conntrack.model import Step

# Written in the format of the seeds' connection tracks (arrows as each vendor draws them).
INBOUND_UNKNOWN_USER = """\
09:12:01: < 220 mail.example.net ESMTP ready
09:12:01: > HELO relay.sender.example
09:12:01: < 250 mail.example.net
09:12:01: > MAIL FROM: <amy@sender.example>
09:12:01: < 250 2.1.0 Ok
09:12:01: > RCPT TO: <bob@example.net>
09:12:01: < 550 5.1.1 <bob@example.net>: Recipient address rejected: User unknown in virtual mailbox table
"""
OUTBOUND_PIPELINED_OK = """\
10:05:33:\t> mx.example.org[192.0.2.25]: 220 mx.example.org ESMTP
10:05:33:\t< mx.example.org[192.0.2.25]: EHLO example.net
10:05:33:\t> mx.example.org[192.0.2.25]: 250-mx.example.org
10:05:33:\t> mx.example.org[192.0.2.25]: 250-PIPELINING
10:05:33:\t> mx.example.org[192.0.2.25]: 250 8BITMIME
10:05:33:\t< mx.example.org[192.0.2.25]: MAIL FROM:<amy@example.net> SIZE=1200
10:05:33:\t< mx.example.org[192.0.2.25]: RCPT TO:<carl@example.org>
10:05:33:\t< mx.example.org[192.0.2.25]: DATA
10:05:33:\t> mx.example.org[192.0.2.25]: 250 2.1.0 Ok
10:05:33:\t> mx.example.org[192.0.2.25]: 250 2.1.5 Ok
10:05:33:\t> mx.example.org[192.0.2.25]: 354 End data with <CR><LF>.<CR><LF>
10:05:33:\t< mx.example.org[192.0.2.25]: .
10:05:34:\t> mx.example.org[192.0.2.25]: 250 2.0.0 Ok: queued as 7A1F2
"""
OUTBOUND_CONTENT_REJECTED = OUTBOUND_PIPELINED_OK.replace(
    "250 2.0.0 Ok: queued as 7A1F2", "554 5.7.1 Message rejected as spam"
)
GREYLIST_421 = """\
11:20:07: < mail.example.com.tw[203.0.113.59]: DATA
11:20:07: > mail.example.com.tw[203.0.113.59]: 250 2.1.0 Ok
11:20:07: > mail.example.com.tw[203.0.113.59]: 421 example.com.tw Service unavailable - try again later (greylist enable)
11:20:07: 5C2E19A0F1: to=<ling@example.com.tw>, relay=mail.example.com.tw[203.0.113.59]:25, delay=1.2, dsn=4.0.0, status=deferred (host mail.example.com.tw[203.0.113.59] said: 421 example.com.tw Service unavaila
"""
DNS_FAILURE = (
    "not found.\tName service error for name=example.org type=MX: Host not found, try again"
)
POP3_ONE_LINE = (
    "08:40:12: < +OK Dovecot ready. 08:40:12: > USER amy 08:40:12: < +OK "
    "08:40:12: > PASS ***** 08:40:12: < -ERR Authentication failed. 08:40:12: Disconnected"
)
POP3_GOOD = (
    "08:41:02: < +OK Dovecot ready. 08:41:02: > USER amy 08:41:02: < +OK "
    "08:41:02: > PASS ***** 08:41:02: < +OK Logged in. 08:41:02: Disconnected: Logged out"
)


def test_an_inbound_user_unknown_fails_at_rcpt_to() -> None:
    v = analyse_text(INBOUND_UNKNOWN_USER)
    assert (v.failed_step, v.reply_code, v.status_code, v.permanent) == (
        Step.RCPT_TO,
        "550",
        "5.1.1",
        True,
    )
    assert v.reply.startswith("550 5.1.1 <bob@example.net>")


def test_a_pipelined_delivery_that_succeeds_has_no_failure() -> None:
    assert not analyse_text(OUTBOUND_PIPELINED_OK).failed


def test_a_reply_to_the_final_dot_is_a_failure_at_end_of_data() -> None:
    v = analyse_text(OUTBOUND_CONTENT_REJECTED)
    assert (v.failed_step, v.reply_code, v.status_code) == (Step.END_OF_DATA, "554", "5.7.1")


def test_greylisting_with_421_is_recognised() -> None:
    v = analyse_text(GREYLIST_421)
    assert v.greylisted and v.reply_code == "421" and not v.permanent


def test_a_name_service_error_is_the_dns_step() -> None:
    v = analyse_text(DNS_FAILURE)
    assert v.failed_step is Step.DNS and "type=MX" in v.reply


def test_a_pop3_session_pasted_on_one_line_is_split_and_the_login_fails() -> None:
    assert len(split_transcript(POP3_ONE_LINE)) == 6
    v = analyse_text(POP3_ONE_LINE)
    assert (v.failed_step, v.reply) == (Step.LOGIN, "-ERR Authentication failed.")
    assert not analyse_text(POP3_GOOD).failed


def test_an_imap_tagged_no_is_a_login_failure() -> None:
    v = analyse(
        [
            "* OK [CAPABILITY IMAP4rev1] ready",
            "a1 LOGIN amy *****",
            "a1 NO [AUTHENTICATIONFAILED] Authentication failed.",
        ]
    )
    assert v.failed_step is Step.LOGIN


def test_a_refused_banner_fails_at_the_greeting() -> None:
    v = analyse(["554 5.7.1 mx.example.org: Client host rejected: listed at a blocklist"])
    assert (v.failed_step, v.reply_code) == (Step.GREETING, "554")


def test_a_multiline_refusal_keeps_every_line_of_the_reply() -> None:
    v = analyse(
        [
            "220 mx ready",
            "EHLO a.example",
            "250 mx",
            "MAIL FROM:<a@a.example>",
            "550-5.7.1 first",
            "550 5.7.1 second",
        ]
    )
    assert v.failed_step is Step.MAIL_FROM and "first" in v.reply and "second" in v.reply


@pytest.mark.parametrize(
    ("line", "step"),
    [
        (
            "Nov 23 11:58:40 mx postfix/smtp[1474]: 27EB32244A3: to=<u@refused.test>, relay=none, delay=0, delays=0/0/0/0, dsn=4.4.1, status=deferred (connect to 127.0.0.1[127.0.0.1]:2599: Connection refused)",
            Step.CONNECT,
        ),
        (
            "2026-11-23T11:58:40.123456+00:00 mx postfix/smtp[7]: 1A2B3C4D5E: to=<u@example.org>, relay=mx.example.org[192.0.2.1]:25, delay=30, delays=0/0/30/0, dsn=4.4.2, status=deferred (conversation with mx.example.org[192.0.2.1] timed out while receiving the initial server greeting)",
            Step.GREETING,
        ),
        (
            "Nov 23 12:00:00 mx postfix/smtp[8]: 1A2B3C4D5E: to=<u@example.org>, relay=mx.example.org[192.0.2.1]:25, delay=1, delays=0/0/0/1, dsn=5.7.1, status=bounced (host mx.example.org[192.0.2.1] said: 554 5.7.1 Spam message rejected (in reply to end of DATA command))",
            Step.END_OF_DATA,
        ),
        (
            "Nov 23 12:00:00 mx postfix/smtp[8]: 1A2B3C4D5E: to=<u@example.org>, relay=mx.example.org[192.0.2.1]:25, delay=1, delays=0/0/0/1, dsn=5.5.2, status=bounced (host mx.example.org[192.0.2.1] said: 504 5.5.2 <x>: Helo command rejected: need fully-qualified hostname (in reply to RCPT TO command))",
            Step.RCPT_TO,
        ),
        (
            "Nov 23 12:00:00 mx postfix/smtp[8]: 1A2B3C4D5E: to=<u@example.org>, relay=mx.example.org[192.0.2.1]:25, delay=1, delays=0/0/0/1, dsn=4.7.5, status=deferred (TLS is required, but was not offered by host mx.example.org[192.0.2.1])",
            Step.STARTTLS,
        ),
        (
            "Nov 23 12:00:00 mx postfix/smtp[8]: 1A2B3C4D5E: to=<u@example.org>, relay=smtp.isp.example[192.0.2.9]:587, delay=1, delays=0/0/0/1, dsn=4.7.8, status=deferred (SASL authentication failed; server smtp.isp.example[192.0.2.9] said: 535 5.7.8 Error: authentication failed)",
            Step.AUTH,
        ),
        (
            "Nov 23 12:00:00 mx postfix/smtpd[9]: NOQUEUE: reject: MAIL from unknown[192.0.2.7]: 553 5.7.1 <a@b.example>: Sender address rejected: not logged in; from=<a@b.example> to=<c@d.example> proto=ESMTP helo=<x>",
            Step.MAIL_FROM,
        ),
        (
            "Nov 23 12:00:00 mx postfix/cleanup[9]: 1A2B3C4D5E: milter-reject: END-OF-MESSAGE from unknown[192.0.2.7]: 5.7.1 Virus found; from=<a@b.example> to=<c@d.example> proto=ESMTP helo=<x>",
            Step.END_OF_DATA,
        ),
        (
            "Nov 23 11:59:03 pop3-login: Info: Disconnected: Aborted login by logging out (auth failed, 1 attempts in 2 secs): user=<cs>, method=PLAIN, rip=127.0.0.1, session=<bbbOUfBgwrN/AAAB>",
            Step.LOGIN,
        ),
    ],
)
def test_log_lines_state_their_own_failing_step(line: str, step: Step) -> None:
    assert analyse([line]).failed_step is step


def test_a_postfix_greylisting_deferral_is_greylisted_not_a_plain_deferral() -> None:
    line = "Nov 23 11:58:35 mx postfix/smtp[1474]: ECD96224486: to=<grey@relay.test>, relay=127.0.0.3[127.0.0.3]:2526, delay=0.01, delays=0/0/0/0.01, dsn=4.7.1, status=deferred (host 127.0.0.3[127.0.0.3] said: 450 4.7.1 <grey@relay.test>: Recipient address rejected: Greylisted, try again later (in reply to RCPT TO command))"
    v = analyse([line])
    assert (v.failed_step, v.greylisted, v.reply_code, v.status_code) == (
        Step.RCPT_TO,
        True,
        "450",
        "4.7.1",
    )
