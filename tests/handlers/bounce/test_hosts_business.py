"""What Microsoft, Broadcom's MessageLabs, Cloudflare Email Routing and Facebook mean by their
answers (knowledge/hosts/microsoft.toml, messagelabs.toml, cloudflare.toml, facebook.toml)."""

from __future__ import annotations

import pytest

from knowledge.rules import HostRules, load_rules
from tests.handlers.bounce.dsn_text import reason_from


def reason_of(
    diagnostic: str, status: str, remote_mta: str | None, rcpt: str = "carol@rcpt.example"
) -> str | None:
    return reason_from(diagnostic, status, remote_mta, rcpt)


EOP = "rcpt-example.mail.protection.outlook.com"  # a Microsoft 365 tenant's MX
OUTLOOK_COM = "hotmail-com.olc.protection.outlook.com"  # the consumer service's MX
SUBMISSION = "smtp.office365.com"
MESSAGELABS = "cluster9.eu.messagelabs.com"
CLOUDFLARE = "route2.mx.cloudflare.net"
FACEBOOK = "smtpin.vvv.facebook.com"


@pytest.mark.parametrize(
    ("host", "diagnostic", "status", "want"),
    [
        # Microsoft: "Access denied" opens most answers; the rest says why
        (
            EOP,
            "550 5.7.508 Access denied, [2001:db8:10::25] has exceeded permitted limits within "
            "2001:db8:10::/48 range. (AS4020)",
            "5.7.508",
            "speeding",
        ),
        (EOP, "550 5.7.505 Access denied, banned recipient. AS(400)", "5.7.505", "suspend"),
        (
            EOP,
            "550 5.7.510 Access denied, rcpt.example does not accept email over IPv6",
            "5.7.510",
            "policyviolation",
        ),
        (
            EOP,
            "550 5.7.750 Service unavailable. Client blocked from sending from unregistered "
            "domains. [BN8NAM12FT044.eop-nam12.prod.protection.outlook.com]",
            "5.7.750",
            "policyviolation",
        ),
        # a restricted group or a mail flow rule refused the sender: policy, not the sender's address
        (
            EOP,
            "550 5.7.1 RESOLVER.RST.NotAuthorized; not authorized",
            "5.7.1",
            "policyviolation",
        ),
        # sending limits of the sender's own account: not a full mailbox despite X.2.2
        (
            SUBMISSION,
            "554 5.2.2 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed to "
            "process message due to a permanent exception",
            "5.2.2",
            "speeding",
        ),
        (
            SUBMISSION,
            "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for "
            "the Tenant.",
            "5.7.139",
            "securityerror",
        ),
        (SUBMISSION, "550 5.1.8 Access denied, bad outbound sender", "5.1.8", "rejected"),
        # Outlook.com's authentication requirement for bulk senders
        (
            OUTLOOK_COM,
            "550 5.7.515 Access denied, sending domain [NEWS.SENDER.EXAMPLE] does not meet the "
            "required authentication level.",
            "5.7.515",
            "authfailure",
        ),
        # MessageLabs: the customer's block list names the sender, not the sending IP
        (MESSAGELABS, "553 Sorry, your domain has been blocked", "5.0.0", "rejected"),
        (MESSAGELABS, "451 TLS/SSLv3 Connection required. (#4.7.1)", "4.7.1", "failedstarttls"),
        (MESSAGELABS, "553 Stray linefeeds in message (#5.6.2)", "5.6.2", "notcompliantrfc"),
        (MESSAGELABS, "542 carol@rcpt.example... No such user", "5.0.0", "userunknown"),
        # Facebook: the code after the status names the cause
        (
            FACEBOOK,
            "550 5.7.1 POL-P7 http://postmaster.facebook.com/response_codes?ip=192.0.2.41#pol "
            "Message does not meet domain authentication requirements",
            "5.7.1",
            "authfailure",
        ),
        (
            FACEBOOK,
            "550 5.1.8 DNS-P2 http://postmaster.facebook.com/response_codes?ip=192.0.2.41#dns "
            "Sender domain has no MX record",
            "5.1.8",
            "rejected",
        ),
        (
            FACEBOOK,
            "450 4.2.1 RCP-T4 http://postmaster.facebook.com/response_codes?ip=192.0.2.41#rcp "
            "Recipient address is deactivated",
            "4.2.1",
            "suspend",
        ),
    ],
)
def test_a_provider_s_own_answer_reads_as_the_provider_means_it(
    host: str, diagnostic: str, status: str, want: str
) -> None:
    assert reason_of(diagnostic, status, host) == want


def test_without_a_named_host_the_recipient_s_domain_picks_the_provider() -> None:
    deactivated = (
        "450 4.2.1 RCP-T4 http://postmaster.facebook.com/response_codes?ip=192.0.2.41#rcp "
        "Recipient address is deactivated"
    )
    assert reason_of(deactivated, "4.2.1", None, "carol.example@facebook.com") == "suspend"
    no_user = "542 carol@messagelabs.com... No such user"
    assert reason_of(no_user, "5.0.0", None, "carol@messagelabs.com") == "userunknown"
    quota = "554 5.2.2 STOREDRV.Submission.Exception:SubmissionQuotaExceededException"
    assert reason_of(quota, "5.2.2", None, "carol@outlook.com") == "speeding"


def test_the_same_words_from_another_host_are_read_by_the_general_rules() -> None:
    # a named host wins over the recipient's domain: a forwarder refusing mail for hotmail.com
    quota = "554 5.2.2 STOREDRV.Submission.Exception:SubmissionQuotaExceededException"
    assert reason_of(quota, "5.2.2", "mx.forwarder.example", "carol@hotmail.com") == "mailboxfull"
    assert reason_of(quota, "5.2.2", EOP, "carol@hotmail.com") == "speeding"


def _provider(name: str) -> HostRules:
    found = [h for h in load_rules().hosts if h.name == name]
    assert found, f"knowledge/hosts/ has no rules named {name!r}"
    return found[0]


def test_cloudflare_reads_only_its_own_answers_and_passes_on_the_destination_s() -> None:
    cloudflare = _provider("Cloudflare Email Routing")
    assert cloudflare.applies(CLOUDFLARE, None)
    assert not cloudflare.applies("mx.cloudflare.com", None)
    upstream = (
        "421 4.3.0 upstream error, please check "
        "https://developers.cloudflare.com/email-routing/postmaster for possible reasons why."
    )
    assert cloudflare.reason("4.3.0", "DATA", upstream) == "systemerror"
    listed = "554 192.0.2.41 found on one or more dnsbls (abusixip)."
    assert cloudflare.reason("5.0.0", "RCPT", listed) == "blocked"
    # Email Routing hands the destination's refusal back in the same session: not its own words
    forwarded = "550 5.1.1 <carol@rcpt.example>: recipient address rejected: user unknown"
    assert cloudflare.reason("5.1.1", "RCPT", forwarded) is None
    assert reason_of(forwarded, "5.1.1", CLOUDFLARE) == "userunknown"
    assert reason_of("554 " + listed, "5.0.0", CLOUDFLARE) == "blocked"


def test_the_provider_files_apply_to_their_own_hosts_only() -> None:
    microsoft = _provider("Microsoft (Exchange Online, Outlook.com)")
    assert microsoft.applies(EOP, None) and microsoft.applies(OUTLOOK_COM, None)
    assert microsoft.applies(None, "carol@live.com")
    assert not microsoft.applies("mx.rcpt.example", "carol@live.com")
    messagelabs = _provider("Broadcom Email Security.cloud (MessageLabs)")
    assert messagelabs.applies(MESSAGELABS, None) and not messagelabs.applies(EOP, None)
    facebook = _provider("Facebook")
    assert facebook.applies(FACEBOOK, None) and facebook.applies(None, "carol@facebook.com")
