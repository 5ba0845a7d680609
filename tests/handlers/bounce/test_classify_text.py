"""classify_text reads whole bounces, fragments and log lines into one report per recipient."""

from __future__ import annotations

from pathlib import Path

from handlers.bounce import classify_text, looks_like_bounce

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_a_postfix_dsn_gives_each_recipient_its_own_reason() -> None:
    report = classify_text(fixture("postfix-two-recipients.eml"))
    assert report.kind == "bounce"
    by_rcpt = {r.recipient: r for r in report.recipients}
    assert by_rcpt["bob@rcpt.example"].reason == "userunknown"
    assert by_rcpt["bob@rcpt.example"].reply_code == "550"
    assert by_rcpt["bob@rcpt.example"].status == "5.1.1"
    assert by_rcpt["bob@rcpt.example"].remote_host == "mx.rcpt.example"
    assert by_rcpt["carol@rcpt.example"].reason == "mailboxfull"
    assert by_rcpt["carol@rcpt.example"].temporary is False


def test_crlf_and_cr_line_ends_read_the_same_as_lf() -> None:
    lf = classify_text(fixture("postfix-two-recipients.eml"))
    crlf = classify_text(fixture("postfix-two-recipients.eml").replace(b"\n", b"\r\n"))
    cr = classify_text(fixture("postfix-two-recipients.eml").replace(b"\n", b"\r"))
    assert [r.reason for r in lf.recipients] == [r.reason for r in crlf.recipients]
    assert [r.reason for r in lf.recipients] == [r.reason for r in cr.recipients]


def test_a_qmail_body_without_headers_names_the_blocklist_and_the_ip() -> None:
    report = classify_text(fixture("qmail-blocked.txt"))
    (r,) = report.recipients
    assert r.recipient == "dave@rcpt.example"
    assert r.reason == "blocked"
    assert r.blocklist == "zen.spamhaus.org"
    assert r.blocked_ip == "203.0.113.45"


def test_a_single_reply_line_is_enough() -> None:
    line = (
        "550 5.1.1 <a@b.example>: Recipient address rejected: User unknown in virtual mailbox table"
    )
    (r,) = classify_text(line).recipients
    assert (r.recipient, r.reason, r.reply_code, r.status) == (
        "a@b.example",
        "userunknown",
        "550",
        "5.1.1",
    )


def test_a_quoted_diagnostic_code_line_is_read() -> None:
    text = "> Final-Recipient: rfc822; x@y.example\n> Status: 5.2.2\n> Diagnostic-Code: smtp; 552 5.2.2 Mailbox full\n"
    (r,) = classify_text(text).recipients
    assert (r.recipient, r.reason) == ("x@y.example", "mailboxfull")


def test_greylisting_is_named_as_such_and_temporary() -> None:
    (r,) = classify_text(
        "451 4.7.1 <a@b.example>: Recipient address rejected: Greylisted"
    ).recipients
    assert r.reason == "greylisted"
    assert r.temporary is True


def test_a_maillog_deferral_is_a_delay() -> None:
    line = (
        "Nov 23 10:00:00 mx postfix/smtp[123]: 4F0: to=<z@rcpt.example>, relay=mx.rcpt.example"
        "[198.51.100.7]:25, delay=1, status=deferred (host mx.rcpt.example[198.51.100.7] said: "
        "452 4.2.2 Mailbox over quota (in reply to RCPT TO command))"
    )
    report = classify_text(line)
    assert report.kind == "delay"
    (r,) = report.recipients
    assert (r.recipient, r.reason, r.temporary) == ("z@rcpt.example", "mailboxfull", True)


def test_a_connection_track_transcript_is_read() -> None:
    text = (
        "15:37:04: > RCPT TO: <cs@nusoft.example>\n"
        "15:37:04: < 550 5.1.1 <cs@nusoft.example>: Recipient address rejected: User unknown\n"
    )
    (r,) = classify_text(text).recipients
    assert (r.recipient, r.reason) == ("cs@nusoft.example", "userunknown")


def test_chinese_texts_are_understood() -> None:
    assert classify_text("550 收件人地址不存在").recipients[0].reason == "userunknown"
    assert classify_text("552 信箱已滿").recipients[0].reason == "mailboxfull"


def test_an_auto_reply_is_a_vacation_not_a_failure() -> None:
    report = classify_text(fixture("vacation.eml"))
    assert report.kind == "vacation"
    assert report.recipients[0].reason == "vacation"


def test_plain_chat_is_not_a_bounce() -> None:
    report = classify_text("hi all, lunch at noon?")
    assert report.kind == "not_bounce"
    assert report.error
    assert not looks_like_bounce("hi all, lunch at noon?")
    assert looks_like_bounce("550 5.1.1 <a@b.example>: User unknown")


def test_empty_and_binary_input_get_a_short_error() -> None:
    assert classify_text("").error == "empty input"
    assert classify_text(b"\x00\x01\x02\xff" * 100).error == "binary data, not text"


def test_a_huge_paste_and_many_recipients_stay_bounded() -> None:
    lines = "".join(f"<u{i}@rcpt.example>: 550 5.1.1 User unknown\n" for i in range(100_000))
    report = classify_text(lines)
    assert 0 < len(report.recipients) <= 1_000
    report = classify_text("x" * 20_000_000)
    assert report.kind == "not_bounce"


def test_broken_mime_still_gives_an_answer() -> None:
    text = (
        "From: MAILER-DAEMON@mx.example\nSubject: Undelivered Mail\n"
        'Content-Type: multipart/report; boundary="never-closed"\n\n--never-closed\n'
        "Content-Type: message/delivery-status\n\nFinal-Recipient: rfc822; q@r.example\n"
        "Status: 5.1.1\n"
    )
    (r,) = classify_text(text).recipients
    assert (r.recipient, r.reason) == ("q@r.example", "userunknown")


def test_an_ip_with_leading_zeros_is_not_taken_for_the_blocked_ip() -> None:
    (r,) = classify_text(
        "554 5.7.1 Client host [06.10.241.189] blocked using zen.spamhaus.org"
    ).recipients
    assert r.reason == "blocked"
    assert r.blocked_ip is None


def test_a_blocklist_named_by_its_operator_alone_is_reported() -> None:
    text = (
        "550 5.7.1 Client host [203.0.113.9] blocked using Spamhaus; see https://www.spamhaus.org/"
    )
    (r,) = classify_text(text).recipients
    assert (r.reason, r.blocklist, r.blocked_ip) == ("blocked", "spamhaus", "203.0.113.9")
