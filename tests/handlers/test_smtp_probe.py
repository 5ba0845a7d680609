"""The SMTP probe against a real postfix on loopback, and its judge on plain transcripts."""

from __future__ import annotations

import asyncio
import os
import time
from ipaddress import ip_network

import pytest

from handlers.errors import UsageError
from handlers.reply import Finding, Status
from handlers.request import HandlerSettings
from handlers.smtp_probe import probe
from handlers.smtp_probe.judge import judge
from handlers.smtp_probe.recipient import rcpt_verdict
from handlers.smtp_probe.transcript import Answer, Attempt, Certificate, Transcript
from tests.lab.postfix_peer import SCENARIOS, TARPIT_SECONDS, PostfixPeer

LOOPBACK = (ip_network("127.0.0.0/8"),)
NOW = 1_800_000_000.0
DAY = 86400.0


@pytest.fixture
def peer(postfix_peer: PostfixPeer) -> PostfixPeer:
    return postfix_peer


def lab_settings(peer: PostfixPeer, timeout: float = 5.0) -> HandlerSettings:
    return HandlerSettings(
        probe_timeout=timeout,
        probe_tls_ca=str(peer.ca_file),
        probe_allow_networks=LOOPBACK,
        probe_helo="probe.mailtriage.test",
    )


async def probe_scenario(
    peer: PostfixPeer, name: str, *, rcpt: str | None = None, lang: str = "en", wait: float = 5.0
) -> list[Finding]:
    s = SCENARIOS[name]
    return await probe(s.mx_host, [s.address], rcpt or s.rcpt, lab_settings(peer, wait), lang=lang)


def last(findings: list[Finding]) -> Finding:
    """The recipient finding comes last."""
    return findings[-1]


@pytest.mark.lab
class TestAgainstPostfix:
    async def test_a_healthy_mx_greets_speaks_tls_with_a_valid_certificate(
        self, peer: PostfixPeer
    ) -> None:
        banner, ehlo, tls, rcpt = await probe_scenario(peer, "valid")
        assert all(f.check == "smtp" for f in (banner, ehlo, tls, rcpt))
        assert banner.status is Status.OK and banner.evidence.startswith("220 ")
        assert "[127.0.25.1]:25" in banner.subject
        assert ehlo.status is Status.OK and "STARTTLS" in ehlo.evidence
        assert tls.status is Status.OK
        assert "TLSv1." in tls.evidence and "mx.valid.probe.lab.test" in tls.evidence
        assert "days left" in tls.evidence

    async def test_an_existing_mailbox_is_accepted_and_a_made_up_one_rejected(
        self, peer: PostfixPeer
    ) -> None:
        rcpt = last(await probe_scenario(peer, "valid"))
        assert rcpt.status is Status.OK
        assert "MAIL FROM:<> -> 250" in rcpt.evidence
        assert "RCPT TO:<alice@valid.probe.lab.test> -> 250" in rcpt.evidence
        assert "mailtriage-nx-" in rcpt.evidence and "-> 550 5.1.1" in rcpt.evidence
        assert "very likely exists" in rcpt.detail

    async def test_an_unknown_user_is_a_failure_with_the_servers_words(
        self, peer: PostfixPeer
    ) -> None:
        rcpt = last(await probe_scenario(peer, "valid", rcpt="bob@valid.probe.lab.test"))
        assert rcpt.status is Status.FAIL
        assert "550 5.1.1" in rcpt.evidence and "User unknown" in rcpt.evidence
        assert rcpt.fix
        rcpt = last(await probe_scenario(peer, "unknown"))
        assert rcpt.status is Status.FAIL

    async def test_greylisting_is_unknown_and_says_retry_later(self, peer: PostfixPeer) -> None:
        rcpt = last(await probe_scenario(peer, "grey"))
        assert rcpt.status is Status.UNKNOWN
        assert "450 4.7.1" in rcpt.evidence
        assert "greylisting" in rcpt.detail
        assert "minutes" in rcpt.fix[0]

    async def test_a_catch_all_domain_makes_acceptance_prove_nothing(
        self, peer: PostfixPeer
    ) -> None:
        rcpt = last(await probe_scenario(peer, "catchall"))
        assert rcpt.status is Status.UNKNOWN
        assert rcpt.evidence.count("-> 250 2.1.5") == 2
        assert "catch-all" in rcpt.detail and "proves nothing" in rcpt.detail

    async def test_an_mx_that_will_not_take_its_domain_fails_as_relay_denied(
        self, peer: PostfixPeer
    ) -> None:
        rcpt = last(await probe_scenario(peer, "relay"))
        assert rcpt.status is Status.FAIL
        assert "554 5.7.1" in rcpt.evidence and "Relay access denied" in rcpt.evidence
        assert "relay.probe.lab.test" in rcpt.fix[0]

    async def test_a_tarpit_longer_than_the_timeout_is_unknown_not_dead(
        self, peer: PostfixPeer
    ) -> None:
        [banner] = await probe_scenario(peer, "tarpit", wait=1.5)
        assert banner.status is Status.UNKNOWN
        assert "no greeting after 1.5 s" in banner.evidence
        assert "tarpit" in banner.detail and "5 minutes" in banner.detail

    async def test_a_slow_banner_within_the_timeout_is_a_warning_and_the_probe_goes_on(
        self, peer: PostfixPeer
    ) -> None:
        findings = await probe_scenario(peer, "tarpit", wait=TARPIT_SECONDS + 3)
        banner = findings[0]
        assert banner.status is Status.WARN
        assert f"{TARPIT_SECONDS}." in banner.detail
        assert last(findings).status is Status.OK

    async def test_an_expired_certificate_is_a_warning_that_says_why(
        self, peer: PostfixPeer
    ) -> None:
        findings = await probe_scenario(peer, "expired")
        tls = findings[2]
        assert tls.status is Status.WARN
        assert "certificate has expired" in tls.evidence
        assert "expired" in tls.detail
        assert last(findings).status is Status.OK  # the recipient check went on without it

    async def test_a_certificate_for_other_names_is_a_warning(self, peer: PostfixPeer) -> None:
        s = SCENARIOS["valid"]
        findings = await probe(
            "smtp.elsewhere.test", [s.address], None, lab_settings(peer), lang="en"
        )
        tls = findings[2]
        assert tls.status is Status.WARN
        assert "does not name smtp.elsewhere.test" in tls.detail

    async def test_a_private_ca_unknown_to_the_bot_is_untrusted(self, peer: PostfixPeer) -> None:
        s = SCENARIOS["valid"]
        settings = HandlerSettings(probe_timeout=5, probe_allow_networks=LOOPBACK)
        tls = (await probe(s.mx_host, [s.address], None, settings, lang="en"))[2]
        assert tls.status is Status.WARN
        assert "self-signed" in tls.evidence or "issuer" in tls.evidence

    async def test_findings_speak_traditional_chinese(self, peer: PostfixPeer) -> None:
        rcpt = last(await probe_scenario(peer, "catchall", lang="zh-TW"))
        assert "catch-all" in rcpt.detail and "不能證明" in rcpt.detail

    async def test_the_probe_never_sends_data_and_says_goodbye(self, peer: PostfixPeer) -> None:
        await probe_scenario(peer, "valid")
        sessions = [line for line in peer.log().splitlines() if "disconnect from" in line]
        assert any("rcpt=" in line and "quit=1" in line for line in sessions)
        assert not any("data=" in line or "bdat=" in line for line in sessions)

    @pytest.mark.parametrize("port", [465, 587])
    async def test_the_submission_ports_work_too(self, peer: PostfixPeer, port: int) -> None:
        s = SCENARIOS["valid"]
        findings = await probe(
            s.mx_host, [s.address], s.rcpt, lab_settings(peer), lang="en", port=port
        )
        assert [f.status for f in findings] == [Status.OK] * 4
        assert f"]:{port}" in findings[0].subject
        assert "TLSv1." in findings[2].evidence

    async def test_an_mx_name_with_its_root_dot_still_matches_the_certificate(
        self, peer: PostfixPeer
    ) -> None:
        s = SCENARIOS["valid"]
        findings = await probe(s.mx_host + ".", [s.address], None, lab_settings(peer), lang="en")
        assert findings[2].status is Status.OK

    async def test_a_refused_address_falls_through_to_the_next_one(self, peer: PostfixPeer) -> None:
        s = SCENARIOS["valid"]
        findings = await probe(
            s.mx_host, ["127.0.25.99", s.address], s.rcpt, lab_settings(peer), lang="en"
        )
        assert findings[0].status is Status.OK and s.address in findings[0].subject


async def test_nothing_listening_is_unknown_and_blames_the_path_not_the_server() -> None:
    settings = HandlerSettings(probe_timeout=2, probe_allow_networks=LOOPBACK)
    [finding] = await probe("mx.example.test", ["127.0.25.250"], None, settings, lang="en")
    assert finding.status is Status.UNKNOWN
    assert "127.0.25.250:25 connection refused" in finding.evidence
    assert "many clouds block" in finding.detail
    assert "nc -v 127.0.25.250 25" in finding.fix[0]


async def _slow_smtp(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Every reply comes 0.6 s late: no single step times out, but the whole probe runs long."""
    try:
        await asyncio.sleep(0.6)
        writer.write(b"220 slow.test ESMTP\r\n")
        while line := await reader.readline():
            await asyncio.sleep(0.6)
            word = line[:4].upper()
            writer.write(b"250-slow.test\r\n250 8BITMIME\r\n" if word == b"EHLO" else b"250 Ok\r\n")
            await writer.drain()
    finally:
        writer.close()


async def test_the_whole_probe_is_bounded_and_keeps_what_it_saw() -> None:
    if os.geteuid() != 0:
        pytest.skip("binding port 25 needs root")
    server = await asyncio.start_server(_slow_smtp, "127.0.25.201", 25)
    try:
        settings = HandlerSettings(probe_timeout=1, probe_allow_networks=LOOPBACK)
        findings = await probe("slow.test", ["127.0.25.201"], "u@slow.test", settings, lang="en")
    finally:
        server.close()
        await server.wait_closed()
    assert findings[0].status is Status.OK and "220 slow.test" in findings[0].evidence
    assert findings[-1].status is Status.UNKNOWN
    assert "limited to 2.5 s" in findings[-1].evidence


@pytest.mark.parametrize("rcpt", ["no-at-sign", "a@b>\r\nDATA", "x" * 300 + "@example.com"])
async def test_a_recipient_that_could_smuggle_commands_is_refused(rcpt: str) -> None:
    with pytest.raises(UsageError):
        await probe("mx.example.test", ["192.0.2.25"], rcpt, HandlerSettings(), lang="en")


def transcript(**facts: object) -> Transcript:
    t = Transcript(mx_host="mx.example.com", port=25, timeout=10, rcpt="u@example.com")
    t.address = "192.0.2.25"
    t.banner, t.banner_seconds = Answer(220, "mx.example.com ESMTP"), 0.1
    t.ehlo = Answer(250, "mx.example.com\nSTARTTLS")
    t.extensions, t.starttls_offered = {"starttls": ""}, True
    t.tls = Certificate("TLSv1.3", True, subject="CN=mx.example.com", not_after=NOW + 90 * DAY)
    for key, value in facts.items():
        setattr(t, key, value)
    return t


def by_detail(findings: list[Finding], words: str) -> Finding:
    return next(f for f in findings if words in f.detail)


def test_timeouts_and_unreachable_networks_are_unknown_and_blame_the_path() -> None:
    t = transcript(address=None, rcpt=None)
    t.failed = [
        Attempt("192.0.2.25", "timeout"),
        Attempt("2001:db8::25", "unreachable", "No route"),
    ]
    [f] = judge(t, "zh-TW", NOW)
    assert f.status is Status.UNKNOWN
    assert "192.0.2.25:25 10 秒內沒有回應" in f.evidence and "No route" in f.evidence
    assert "許多雲端平台會封鎖對外的 25 埠" in f.detail


def test_a_certificate_close_to_expiry_is_a_warning_with_the_days_left() -> None:
    cert = Certificate("TLSv1.2", True, subject="CN=mx", not_after=NOW + 5 * DAY + 60)
    f = by_detail(judge(transcript(tls=cert, rcpt=None), "en", NOW), "expires in")
    assert f.status is Status.WARN and "5 days" in f.detail and "5 days left" in f.evidence


def test_no_starttls_is_a_warning() -> None:
    t = transcript(tls=None, starttls_offered=False, extensions={}, rcpt=None)
    f = by_detail(judge(t, "en", NOW), "STARTTLS")
    assert f.status is Status.WARN and "unencrypted" in f.detail


def test_a_server_without_esmtp_is_a_warning() -> None:
    t = transcript(tls=None, starttls_offered=False, helo_only=True, rcpt=None)
    t.ehlo = Answer(502, "5.5.2 Error: command not recognized")
    findings = judge(t, "en", NOW)
    assert by_detail(findings, "HELO").status is Status.WARN
    assert len(findings) == 2


def test_a_refused_null_sender_is_a_warning_and_the_recipient_stays_unchecked() -> None:
    t = transcript(mail=Answer(550, "5.7.1 Null sender not allowed"))
    f = judge(t, "en", NOW)[-1]
    assert f.status is Status.WARN and "MAIL FROM:<>" in f.detail


def test_a_banner_refusal_is_about_the_bot_not_the_server() -> None:
    t = transcript(banner=Answer(554, "5.7.1 Your IP is on our blocklist"))
    [f] = judge(t, "en", NOW)
    assert f.status is Status.UNKNOWN and "bot" in f.detail


def test_a_tls_failure_on_port_465_before_any_banner_is_unknown() -> None:
    t = transcript(port=465, banner=None, ehlo=None, tls=None, tls_error="WRONG_VERSION_NUMBER")
    [f] = judge(t, "en", NOW)
    assert f.status is Status.UNKNOWN and "handshake failed" in f.detail


def test_a_connection_dropped_before_the_banner_says_where() -> None:
    t = transcript(banner=None, stage="banner", aborted="Connection lost")
    [f] = judge(t, "en", NOW)
    assert f.status is Status.UNKNOWN and "during banner" in f.detail


def test_a_session_cut_short_says_where() -> None:
    t = transcript(stage="rcpt", aborted="Timed out waiting for server response")
    f = judge(t, "en", NOW)[-1]
    assert f.status is Status.UNKNOWN and "during rcpt" in f.detail


@pytest.mark.parametrize(
    ("answer", "verdict"),
    [
        (Answer(250, "2.1.5 Ok"), "accepted"),
        (Answer(251, "User not local; will forward"), "accepted"),
        (Answer(450, "4.2.0 <u@x>: Recipient address rejected: Greylisted"), "greylist"),
        (Answer(451, "4.7.1 Please try again later"), "greylist"),
        (Answer(452, "4.2.2 Mailbox full"), "temporary"),
        (
            Answer(550, "5.1.1 The email account that you tried to reach does not exist"),
            "unknown_user",
        ),
        (Answer(550, "No such user here"), "unknown_user"),
        (Answer(554, "5.7.1 <u@x>: Relay access denied"), "relay"),
        (Answer(550, "5.7.1 Client host [192.0.2.1] blocked using zen.spamhaus.org"), "policy"),
        (Answer(554, "5.7.1 Service unavailable; Client host blocked"), "policy"),
        (Answer(552, "5.2.2 Mailbox full"), "rejected"),
        (
            Answer(550, "5.4.1 Recipient address rejected: Access denied. AS(201806281)"),
            "unknown_user",
        ),
        (Answer(554, "5.7.1 <x>: Helo command rejected: Host not found"), "policy"),
        (Answer(550, "5.7.1 Sender domain unknown"), "policy"),
        (Answer(550, "Client host unknown, go away"), "policy"),
        (Answer(550, "Requested action not taken: mailbox unavailable"), "rejected"),
    ],
)
def test_recipient_answers_are_read_for_what_they_mean(answer: Answer, verdict: str) -> None:
    assert rcpt_verdict(answer) == verdict


def test_a_policy_rejection_says_nothing_about_the_mailbox() -> None:
    answer = Answer(550, "5.7.1 Client host rejected: cannot find your reverse hostname")
    f = judge(transcript(mail=Answer(250, "2.1.0 Ok"), rcpt_answer=answer), "en", NOW)[-1]
    assert f.status is Status.UNKNOWN and "nothing is known" in f.detail


def test_every_judged_text_exists_in_both_languages() -> None:
    t = transcript(mail=Answer(250, "2.1.0 Ok"), rcpt_answer=Answer(250, "2.1.5 Ok"))
    t.decoy, t.decoy_answer = "mailtriage-nx-1@example.com", Answer(250, "2.1.5 Ok")
    for lang in ("en", "zh-TW"):
        assert all(f.detail and "{" not in f.detail for f in judge(t, lang, time.time()))
