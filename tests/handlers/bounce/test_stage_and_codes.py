"""The rules that turn stage, status code and provider codes into a reason (general, not per file)."""

from __future__ import annotations

import pytest

from handlers.bounce import classify_text
from tests.handlers.bounce.dsn_text import dsn


def _dsn(diagnostic: str, status: str, diagnostic_type: str = "smtp") -> str:
    return dsn(diagnostic, status, diagnostic_type=diagnostic_type)


def reason(text: str) -> str | None:
    report = classify_text(text)
    assert report.recipients, report.error
    return report.recipients[0].reason


@pytest.mark.parametrize(
    ("diagnostic", "status", "want"),
    [
        # a bare "user unknown" with nothing saying it answered RCPT TO: the filter may be speaking
        ("550 user unknown", "5.0.0", "filtered"),
        # the status code says the mailbox does not exist: that settles it
        ("550 5.1.1 user unknown", "5.1.1", "userunknown"),
        # a directory's own words settle it whatever the stage
        ("550 Recipient not found by SMTP address lookup", "5.0.0", "userunknown"),
        ("550 ... not listed in Domino Directory", "5.0.0", "userunknown"),
        # X.2.3 is the recipient's size limit, X.3.4 the system's
        ("552 5.2.3 Message size exceeds fixed maximum message size", "5.2.3", "exceedlimit"),
        ("552 5.3.4 Message size exceeds fixed maximum message size", "5.3.4", "mesgtoobig"),
    ],
)
def test_the_stage_and_the_status_decide_between_like_reasons(
    diagnostic: str, status: str, want: str
) -> None:
    assert reason(_dsn(diagnostic, status)) == want


def test_a_user_unknown_answered_to_rcpt_is_the_directory() -> None:
    text = _dsn("550 user unknown (in reply to RCPT TO command)", "5.0.0")
    assert reason(text) == "userunknown"


def test_a_user_unknown_after_data_is_a_filter_unless_the_status_says_otherwise() -> None:
    assert reason(_dsn("550 unknown user (in reply to end of DATA command)", "5.0.0")) == "filtered"
    text = _dsn("550 5.1.1 unknown user (in reply to end of DATA command)", "5.1.1")
    assert reason(text) == "userunknown"


def test_a_local_delivery_program_failing_is_a_mailer_error_unless_the_mailbox_is_full() -> None:
    text = _dsn('procmail: Couldn\'t create "/var/mail/bob"', "5.1.1", "X-Unix")
    assert reason(text) == "mailererror"
    assert reason(_dsn("/var/mail/bob: Disk quota exceeded", "4.3.0", "X-Unix")) == "mailboxfull"


@pytest.mark.parametrize(
    ("line", "want"),
    [
        # Orange / La Poste: the last three digits of the code name the cause
        (
            "550 5.5.0 Invalid recipient. LPN007_416 (in reply to end of DATA command)",
            "userunknown",
        ),
        (
            "552 5.1.1 Boite du destinataire pleine. Recipient overquota. OFR_417 [417]",
            "mailboxfull",
        ),
        ("550 5.5.0 Boite du destinataire archivee. Archived recipient. LPN007_420", "suspend"),
        ("421 4.2.0 Service refused, please try later. OFR005_505 [505]", "systemerror"),
        # Spectrum: AUP#I-nnnn ranges
        ("421 4.7.0 Too many connections AUP#I-1310", "toomanyconn"),
        ("554 5.7.1 Blocked for suspicious activity AUP#I-1000", "blocked"),
        ("550 5.7.1 Full circle DNS required AUP#O-1120", "requireptr"),
        # au (KDDI): with the address the user is unknown, without it the filter refused
        ("550 <someone@ezweb.ne.jp>: User unknown", "userunknown"),
        ("550 : User unknown", "filtered"),
        # Tencent counts connections per IP
        ("550 Ip frequency limited", "toomanyconn"),
    ],
)
def test_provider_codes_name_their_reason(line: str, want: str) -> None:
    assert reason(line) == want


def test_a_transcript_pasted_without_its_arrows_names_the_command() -> None:
    text = "RCPT To:<bob@rcpt.example> <<< 550 Unknown user bob@rcpt.example"
    assert reason(text) == "userunknown"
    text = "DATA <<< 550 Unknown user bob@rcpt.example"
    assert reason(text) == "filtered"


def test_a_banner_or_an_exit_status_before_the_refusal_is_not_a_success() -> None:
    report = classify_text("220-mx.rcpt.example 421 4.2.1 Service refused, please try later.")
    (r,) = report.recipients
    assert r.reason == "blocked"
    assert r.temporary is True
    assert r.reply_code == "421"
    report = classify_text("71 451 4.0.0 Operating system error")
    assert report.recipients[0].reason == "mailererror"


def test_a_timeout_in_a_returned_message_expired_but_a_logged_deferral_still_retries() -> None:
    assert reason("connect to mx.rcpt.example[192.0.2.25]:25: Connection timed out") == "expired"
    log = (
        "Nov 23 10:00:01 mx postfix/smtp[811]: 4F1A2: to=<bob@rcpt.example>, relay=none, "
        "delay=30, status=deferred (connect to mx.rcpt.example[192.0.2.25]:25: "
        "Connection timed out)"
    )
    assert reason(log) == "networkerror"


def test_google_groups_refusals_are_read_in_other_languages() -> None:
    german = (
        "Hallo bob@rcpt.example, Sie erhalten diese E-Mail, weil die Gruppe, die Sie "
        "kontaktieren möchten (team), möglicherweise nicht vorhanden ist bzw. Sie nicht "
        "berechtigt sind, Beiträge in der Gruppe zu posten."
    )
    assert reason(german) == "rejected"


def test_a_filter_read_from_user_unknown_words_says_so_in_both_languages() -> None:
    from handlers.bounce.reply import recipient_sections
    from knowledge.loader import load

    report = classify_text(_dsn("550 user unknown", "5.0.0"))
    (r,) = report.recipients
    kb = load()
    en = recipient_sections(kb, r, "en")[0].text
    zh = recipient_sections(kb, r, "zh-TW")[0].text
    assert "user unknown" in en and "RCPT TO" in en
    assert "過濾" in zh and "RCPT TO" in zh
    # au's own filter answer names the filter: no doubt to explain
    plain = classify_text(_dsn("550 : User unknown", "5.0.0"))
    assert plain.recipients[0].reason == "filtered"
    assert "RCPT TO" not in recipient_sections(kb, plain.recipients[0], "en")[0].text


def test_a_sendmail_remote_protocol_error_takes_the_transcripts_answer() -> None:
    text = (
        "From: Mail Delivery Subsystem <MAILER-DAEMON@mx.sender.example>\n"
        "Subject: Returned mail: Remote protocol error\n\n"
        "   ----- Transcript of session follows -----\n"
        "While talking to mx.rcpt.example:\n"
        ">>> MAIL From:<alice@sender.example>\n"
        "<<< 550 Insecure Mail Relay\n"
        "554 <bob@rcpt.example>... Remote protocol error\n"
        "421 other.example (smtp)... Deferred: Connection timed out with other.example\n"
    )
    (r,) = classify_text(text).recipients
    assert r.recipient == "bob@rcpt.example"
    assert r.diagnostic == "550 Insecure Mail Relay (in reply to MAIL FROM command)"
    assert r.reason == "norelaying"


def test_an_auto_reply_that_says_the_mailbox_is_no_longer_used_is_a_dead_address() -> None:
    head = (
        "From: <bob@rcpt.example>\nTo: <alice@sender.example>\nSubject: Automatic reply: hello\n"
        "Auto-Submitted: auto-replied\n\n"
    )
    away = classify_text(head + "I am out of the office until Monday.\n")
    assert (away.kind, away.recipients[0].reason) == ("vacation", "vacation")
    gone = classify_text(head + "This inbox is no longer in use. Please write to sales@.\n")
    assert (gone.kind, gone.recipients[0].reason) == ("vacation", "suspend")


def test_a_local_transport_missing_a_file_is_a_mailer_error() -> None:
    line = "Failed to read response template /home/bob/.vacation.msg: No such file or directory"
    assert reason(line) == "mailererror"


def test_a_notice_stating_the_mailbox_state_beats_a_vaguer_reply_below_it() -> None:
    def bounce(notice: str) -> str:
        return (
            "From: Mail Administrator <Postmaster@mx.rcpt.example>\n"
            "Subject: Mail System Error - Returned Mail\n\n"
            f"{notice}\n\n"
            "<bob@rcpt.example>: 550 user unknown (in reply to RCPT TO command)\n"
        )

    assert reason(bounce("The user(s) account is disabled.")) == "suspend"
    assert reason(bounce("Your message could not be delivered.")) == "userunknown"


def _dsn_from(host: str, diagnostic: str, status: str) -> str:
    return dsn(diagnostic, status, host=host)


@pytest.mark.parametrize(
    ("host", "diagnostic", "status", "want"),
    [
        # NTT docomo: the same words mean a missing user at RCPT TO and a refused sender after DATA
        (
            "mfsmax.docomo.ne.jp",
            "550 Unknown user bob@docomo.ne.jp (in reply to RCPT TO command)",
            "5.0.0",
            "userunknown",
        ),
        (
            "mfsmax.docomo.ne.jp",
            "550 Unknown user bob@docomo.ne.jp (in reply to end of DATA command)",
            "5.0.0",
            "rejected",
        ),
        ("mfsmax.docomo.ne.jp", "552 Too many recipients", "5.0.0", "toomanyconn"),
        # Mimecast documents this one as a virus (or an over-the-limit spam score)
        (
            "us-smtp-inbound-1.mimecast.com",
            "554 email rejected due to security policies - MCSpamSignature.sa.2.2",
            "5.0.0",
            "virusdetected",
        ),
    ],
)
def test_a_providers_own_meaning_applies_to_its_hosts(
    host: str, diagnostic: str, status: str, want: str
) -> None:
    assert reason(_dsn_from(host, diagnostic, status)) == want


def test_host_rules_do_not_apply_to_other_hosts() -> None:
    text = _dsn_from("mx.rcpt.example", "552 Too many recipients", "5.0.0")
    assert reason(text) == "exceedlimit"


def test_a_bounce_forwarded_as_quoted_text_is_read_through_the_quotes() -> None:
    bounce = [
        "From: Mail Delivery Subsystem <MAILER-DAEMON>",
        "Subject: Returned mail: see transcript for details",
        "",
        "   ----- The following addresses had permanent fatal errors -----",
        "<bob@rcpt.example>",
        "    (reason: 550 Unknown user bob@rcpt.example)",
        "",
        "   ----- Transcript of session follows -----",
        "554 5.0.0 Service unavailable",
        "Reporting-MTA: dns; mx.sender.example",
        "",
        "Final-Recipient: RFC822; bob@rcpt.example",
        "Action: failed",
        "Status: 5.2.0",
        "Remote-MTA: DNS; mx.rcpt.example",
        "Diagnostic-Code: SMTP; 550 Unknown user bob@rcpt.example",
    ]
    text = (
        "From: alice@sender.example\nTo: it@sender.example\nSubject: Fwd: Returned mail\n\n"
        "Begin forwarded message:\n\n" + "".join(f"> {line}\n" for line in bounce)
    )
    (r,) = classify_text(text).recipients
    assert (r.recipient, r.status, r.remote_host) == (
        "bob@rcpt.example",
        "5.2.0",
        "mx.rcpt.example",
    )
    assert r.diagnostic == "550 Unknown user bob@rcpt.example"


def test_a_postscreen_refusal_in_the_mail_log_is_a_block_of_the_client() -> None:
    line = (
        "Nov 23 11:58:46 mx postfix/postscreen[1469]: NOQUEUE: reject: RCPT from [192.0.2.6]:36215: "
        "550 5.3.2 Service currently unavailable; from=<a@sender.example>, to=<b@rcpt.example>, "
        "proto=ESMTP, helo=<sender.example>"
    )
    (r,) = classify_text(line).recipients
    assert (r.recipient, r.reason, r.reply_code) == ("b@rcpt.example", "blocked", "550")


def test_a_postfix_reject_line_names_the_to_address_and_the_command() -> None:
    line = (
        "Nov 23 11:58:34 mx postfix/smtpd[1470]: NOQUEUE: reject: RCPT from mail.sender.example"
        "[2001:db8::25]: 550 5.7.1 <b@rcpt.example>: Recipient address rejected: Access denied; "
        "from=<a@sender.example> to=<b@rcpt.example> proto=ESMTP helo=<mail.sender.example>"
    )
    (r,) = classify_text(line).recipients
    assert (r.recipient, r.status) == ("b@rcpt.example", "5.7.1")
    assert r.diagnostic.startswith("550 5.7.1 <b@rcpt.example>: Recipient address rejected")
