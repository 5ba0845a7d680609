"""What Cox, GoDaddy, I.UA, Tencent, Zoho and au (KDDI) mean by their answers (knowledge/hosts/)."""

from __future__ import annotations

import pytest

from tests.handlers.bounce.dsn_text import reason_from


def reason(
    diagnostic: str, status: str, host: str | None, recipient: str = "bob@rcpt.example"
) -> str | None:
    return reason_from(diagnostic, status, host, recipient)


COX = "cxr.mx.a.cloudfilter.net"
GODADDY = "p3plibsmtp01-01.prod.phx3.secureserver.net"
IUA = "mx2.email.ua"
QQ = "mx3.qq.com"
EXMAIL = "mxbiz1.qq.com"
ZOHO = "mx.zoho.com"
AU = "lsean.ezweb.ne.jp"


@pytest.mark.parametrize(
    ("host", "diagnostic", "status", "want"),
    [
        # Cox: the AUP# code names the cause, whatever the words before it say
        (
            COX,
            "421 cmsmtp 198.51.100.7 blocked. Refer to Error Codes section at "
            "https://www.cox.com/residential/support/email-error-codes.html for more information. "
            "AUP#CXCNCT",
            "4.0.0",
            "toomanyconn",
        ),
        (
            COX,
            "550 5.1.0 <news@sender.example> sender rejected. Refer to Error Codes section for "
            "more information. AUP#CXSNDR",
            "5.1.0",
            "authfailure",
        ),
        (COX, "554 cmsmtp 198.51.100.7 blocked. AUP#IPBL0001", "5.0.0", "blocked"),
        (COX, "552 cmsmtp message rejected. AUP#URLBL1001", "5.0.0", "spamdetected"),
        (COX, "421 cmsmtp DNS check failure - try again later", "4.0.0", "requireptr"),
        # GoDaddy: the IBnnn code at the end
        (
            GODADDY,
            "535 Authentication not allowed on IBSMTP Servers. IB401",
            "5.0.0",
            "securityerror",
        ),
        (
            GODADDY,
            "554 This IP has been temporarily blocked for attempting to mail too many invalid "
            "recipients. IB112",
            "5.0.0",
            "blocked",
        ),
        (
            GODADDY,
            "550 bob@sender.example Blank From: addresses are not allowed. Provide a valid From. IB501",
            "5.0.0",
            "notcompliantrfc",
        ),
        (GODADDY, "550 Recipient not found", "5.0.0", "userunknown"),
        # I.UA: the number of the linked explanation page
        (IUA, "550 Relaying denied. See http://mail.i.ua/err/1/", "5.0.0", "norelaying"),
        (IUA, "550 Access denied. See http://mail.i.ua/err/10/", "5.0.0", "filtered"),
        (IUA, "550 Wrong HELO. See http://mail.i.ua/err/7/", "5.0.0", "blocked"),
        # Tencent (QQ Mail and Exmail)
        (
            QQ,
            "550 Mailbox unavailable or access denied "
            "http://service.mail.qq.com/cgi-bin/help?subtype=1&&id=20022&&no=1000720",
            "5.0.0",
            "speeding",
        ),
        (EXMAIL, "550 Mailbox not found. http://service.exmail.qq.com/", "5.0.0", "userunknown"),
        (QQ, "550 Connection denied. http://service.mail.qq.com/", "5.0.0", "blocked"),
        # Zoho Mail
        (ZOHO, "541 5.4.1 Mail rejected by destination domain", "5.4.1", "rejected"),
        (ZOHO, "452 4.3.1 Temporary System Error", "4.3.1", "systemerror"),
        # au (KDDI): au's own wording of an account limited by the carrier
        (AU, "550 The user(s) account is temporarily limited.", "5.0.0", "suspend"),
    ],
)
def test_a_provider_s_answer_reads_as_the_provider_means_it(
    host: str, diagnostic: str, status: str, want: str
) -> None:
    assert reason(diagnostic, status, host) == want


def test_with_no_refusing_host_the_recipient_s_domain_chooses_the_provider() -> None:
    text = "The user(s) account is temporarily limited."
    assert reason(text, "5.0.0", None, "hanako@ezweb.ne.jp") == "suspend"


@pytest.mark.parametrize(
    ("diagnostic", "status", "meant_there"),
    [
        # Tencent pauses mail to a flooded QQ address; elsewhere these words say nothing of a rate
        ("550 Mailbox unavailable or access denied", "5.0.0", "speeding"),
        # Zoho's 5.4.1 is the recipient's domain refusing the sender; elsewhere it is the network
        ("541 5.4.1 Mail rejected by destination domain", "5.4.1", "rejected"),
    ],
)
def test_the_same_words_from_another_host_are_read_by_the_general_rules(
    diagnostic: str, status: str, meant_there: str
) -> None:
    assert reason(diagnostic, status, "mx.rcpt.example") != meant_there
