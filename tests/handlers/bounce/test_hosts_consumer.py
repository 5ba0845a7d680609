"""What Gmail / Google Workspace, Yahoo (and AOL on Yahoo's servers), legacy AOL and iCloud mean by
their answers (knowledge/hosts/google.toml, yahoo.toml, aol.toml, apple.toml).

The reply lines are written in the style of each provider's published replies; each one is read
differently (or not at all) by the general rules, so these tests fail without the host files.
"""

from __future__ import annotations

import pytest

from tests.handlers.bounce.dsn_text import reason_from

GMAIL = "gmail-smtp-in.l.google.com"
WORKSPACE = "aspmx.l.google.com"
YAHOO = "mta6.am0.yahoodns.net"
AOL_ON_YAHOO = "mx-aol.mail.gm0.yahoodns.net"
AOL_LEGACY = "mailin-02.mx.aol.com"
ICLOUD = "mx01.mail.icloud.com"
ELSEWHERE = "mx.rcpt.example"


def reason_of(
    diagnostic: str, status: str, host: str | None, recipient: str = "dave@rcpt.example"
) -> str | None:
    return reason_from(diagnostic, status, host, recipient)


@pytest.mark.parametrize(
    ("host", "diagnostic", "status", "want"),
    [
        # Gmail: 4.2.1 is always the recipient's receiving rate (or the relay's peak limit)
        (
            GMAIL,
            "450-4.2.1 The user you are trying to contact is receiving email at a rate that "
            "450-4.2.1 prevents additional messages from being delivered. - gsmtp",
            "4.2.1",
            "speeding",
        ),
        (GMAIL, "421 4.4.5 Server busy, try again later. x7si88 - gsmtp", "4.4.5", "systemerror"),
        (
            WORKSPACE,
            "421 4.7.0 IP not in whitelist for RCPT domain, closing connection. - gsmtp",
            "4.7.0",
            "blocked",
        ),
        # rate limited because of the sending IP's reputation: the reputation is the cause
        (
            GMAIL,
            "421-4.7.0 [198.51.100.7] This message is suspicious due to the very low "
            "421-4.7.0 reputation of the sending IP address. To protect our users from spam, "
            "421 4.7.0 mail sent from your IP address has been temporarily rate limited. - gsmtp",
            "4.7.0",
            "badreputation",
        ),
        # Google's X.7.27 is SPF, not the registry's null MX
        (
            GMAIL,
            "421-4.7.27 Your email has been rate limited because SPF authentication didn't "
            "421 4.7.27 pass for this message. - gsmtp",
            "4.7.27",
            "authfailure",
        ),
        (
            GMAIL,
            "421-4.7.28 Gmail has detected this sender exceeded the quota for sending "
            "421-4.7.28 messages that have the same Message-ID:. - gsmtp",
            "4.7.28",
            "policyviolation",
        ),
        (
            GMAIL,
            "550-5.7.28 There is an unusual rate of unsolicited email originating from your IP "
            "550 5.7.28 address. Email sent from your IP address has been blocked. - gsmtp",
            "5.7.28",
            "blocked",
        ),
        # the same words with a 5.7.1 and "blocked": refused, not rate limited
        (
            GMAIL,
            "550-5.7.1 [198.51.100.7] Our system has detected an unusual rate of unsolicited "
            "550-5.7.1 mail originating from your IP address. Mail sent from your IP address "
            "550 5.7.1 has been blocked. - gsmtp",
            "5.7.1",
            "blocked",
        ),
        # Google's X.7.29 is a message not sent over TLS
        (
            GMAIL,
            "550-5.7.29 This message was blocked because it wasn't sent over a TLS "
            "550 5.7.29 connection. - gsmtp",
            "5.7.29",
            "failedstarttls",
        ),
        (
            GMAIL,
            "552-5.3.4 Your message exceeded Google's message header size limits. - gsmtp",
            "5.3.4",
            "exceedlimit",
        ),
        (GMAIL, "550 5.4.5 Daily user sending limit exceeded. - gsmtp", "5.4.5", "speeding"),
        (
            GMAIL,
            "554 5.6.0 Email message is malformed. Not accepted. - gsmtp",
            "5.6.0",
            "notcompliantrfc",
        ),
        (
            WORKSPACE,
            "550-5.7.1 The user or domain that you are sending to (or from) has a policy that "
            "550 5.7.1 prohibits the email that you sent. - gsmtp",
            "5.7.1",
            "policyviolation",
        ),
        # an administrator's own content rule, marked gcdp
        (
            WORKSPACE,
            "550 5.7.1 Attachments are not accepted by rcpt.example. - gcdp q1w2e3 - gsmtp",
            "5.7.1",
            "policyviolation",
        ),
        (
            GMAIL,
            "550-5.7.1 Messages missing a valid address in the From: header, or having no "
            "550 5.7.1 From: header, are not accepted. - gsmtp",
            "5.7.1",
            "notcompliantrfc",
        ),
        (
            "smtp.gmail.com",
            "534-5.7.14 Please log in through your web browser and then try again. - gsmtp",
            "5.7.14",
            "securityerror",
        ),
        (
            GMAIL,
            "501 5.5.4 Empty HELO/EHLO argument not allowed, closing connection. - gsmtp",
            "5.5.4",
            "blocked",
        ),
        # Yahoo: every message from the IP is refused (TSS11 like TSS09)
        (
            YAHOO,
            "553 5.7.2 [TSS11] All messages from 198.51.100.7 will be permanently deferred; "
            "Retrying will NOT succeed. See https://senders.yahooinc.com/error-codes",
            "5.7.2",
            "blocked",
        ),
        (
            YAHOO,
            "451 Message temporarily deferred due to unresolvable RFC.5321 from domain; "
            "see https://senders.yahooinc.com/error-codes#unresolvable-from-domain",
            "4.0.0",
            "rejected",
        ),
        (
            AOL_ON_YAHOO,
            "421 Max message per connection reached, closing transmission channel",
            "4.0.0",
            "toomanyconn",
        ),
        (
            YAHOO,
            "554 delivery error: dd dave@yahoo.com is no longer valid. [-20] - mta4.mail.bf1",
            "5.0.0",
            "suspend",
        ),
        # the account does not exist, though Yahoo says so at end of DATA
        (
            YAHOO,
            "552 1 Requested mail action aborted, mailbox not found "
            "(in reply to end of DATA command)",
            "5.0.0",
            "userunknown",
        ),
        # legacy AOL servers: the code before the colon names the block
        (
            AOL_LEGACY,
            "421 4.7.1 : (DNS:NR) http://postmaster.info.aol.com/errors/421dnsnr.html",
            "4.7.1",
            "requireptr",
        ),
        (
            AOL_LEGACY,
            "554 HVU:B2 http://postmaster.info.aol.com/errors/554hvub2.html",
            "5.0.0",
            "spamdetected",
        ),
        (
            AOL_LEGACY,
            "554 RLY:B1 http://postmaster.info.aol.com/errors/554rlyb1.html",
            "5.0.0",
            "badreputation",
        ),
        # iCloud
        (
            ICLOUD,
            "421 4.7.1 Messages to dave@icloud.com deferred due to excessive volume. "
            "Try again later - https://support.apple.com/en-us/HT204137",
            "4.7.1",
            "speeding",
        ),
        (
            "mx2.me.com.akadns.net",
            "550 unknown or illegal alias: dave@icloud.com",
            "5.0.0",
            "userunknown",
        ),
    ],
)
def test_a_provider_s_reply_reads_as_the_provider_means_it(
    host: str, diagnostic: str, status: str, want: str
) -> None:
    assert reason_of(diagnostic, status, host) == want


def test_the_recipient_s_domain_names_the_provider_when_no_host_is_named() -> None:
    line = "552-5.3.4 Your message exceeded Google's message header size limits. - gsmtp"
    assert reason_of(line, "5.3.4", None, "dave@gmail.com") == "exceedlimit"
    # the same bounce for another domain: X.3.4 is the size the whole system takes
    assert reason_of(line, "5.3.4", None, "dave@rcpt.example") == "mesgtoobig"


def test_a_gmail_rate_limit_agrees_with_its_help_link() -> None:
    # ?p=UnsolicitedRateLimitError is explained as rate limiting in knowledge/providers.toml
    line = (
        "421-4.7.28 Gmail has detected an unusual rate of unsolicited mail originating from "
        "421-4.7.28 your SPF domain sender.example. To protect our users from spam, mail sent "
        "421-4.7.28 from your domain has been temporarily rate limited. "
        "https://support.google.com/mail/?p=UnsolicitedRateLimitError - gsmtp"
    )
    assert reason_of(line, "4.7.28", GMAIL) == "speeding"


def test_provider_meanings_stay_with_the_provider_s_hosts() -> None:
    # an unknown-user answer after DATA elsewhere is the recipient's filter speaking
    late = (
        "552 1 Requested mail action aborted, mailbox not found (in reply to end of DATA command)"
    )
    assert reason_of(late, "5.0.0", YAHOO) == "userunknown"
    assert reason_of(late, "5.0.0", ELSEWHERE) == "filtered"
    # elsewhere 4.4.5 is the registry's congested mail system
    busy = "421 4.4.5 Server busy, try again later."
    assert reason_of(busy, "4.4.5", ELSEWHERE) != reason_of(busy, "4.4.5", GMAIL)
