"""A real Postfix and Dovecot write the logs; `appliance serve` exposes them; the bot pulls over HTTP.

Each case gets its failing step: delivered, 550 5.1.1 at RCPT TO, greylisted with 450 and with 421
(expected, not failures), the MX of nomx.test not resolving, a gateway NOQUEUE reject, and good and
failed POP3/IMAP logins.
"""

from __future__ import annotations

import contextlib
import imaplib
import poplib
import smtplib
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from bot.appliance import create_app
from handlers.conntrack import track
from handlers.conntrack.model import Track
from handlers.reply import Status
from handlers.request import ApplianceSettings, Context, HandlerSettings, Request
from tests.lab.mailserver import SMTPD, MailLab, running

pytestmark = pytest.mark.lab
TOKEN = "lab-appliance-token-7f3a"


def _send(lab: MailLab) -> None:
    with smtplib.SMTP(SMTPD, lab.smtp_port, timeout=20) as smtp:
        smtp.ehlo("client.test")
        for local in ("good", "cs", "grey", "grey421", "nobody"):
            try:
                smtp.sendmail(
                    "sender@relay.test", [f"{local}@relay.test"], f"Subject: {local}\r\n\r\nhi\r\n"
                )
            except smtplib.SMTPRecipientsRefused:
                assert local == "nobody"
        smtp.sendmail("sender@relay.test", ["user@nomx.test"], "Subject: nomx\r\n\r\nhi\r\n")


def _login(lab: MailLab, user: str, password: str) -> None:
    pop = poplib.POP3(SMTPD, lab.pop3_port, timeout=20)
    try:
        pop.user(user)
        pop.pass_(password)
    except poplib.error_proto:
        pass
    pop.quit()
    imap = imaplib.IMAP4(SMTPD, lab.imap_port, timeout=20)
    with contextlib.suppress(imaplib.IMAP4.error):
        imap.login(user, password)
    imap.logout()


def _settle(lab: MailLab) -> None:
    """Wait until postfix has reported on every delivery and dovecot on every login."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        text = lab.log_text()
        done = all(
            f"to=<{r}>" in text
            for r in (
                "good@relay.test",
                "cs@relay.test",
                "grey@relay.test",
                "grey421@relay.test",
                "user@nomx.test",
            )
        )
        if done and text.count("auth failed") >= 2 and text.count("Login: ") >= 2:
            return
        time.sleep(0.3)
    raise AssertionError("the lab servers did not log every case:\n" + lab.log_text()[-4000:])


@pytest.fixture(scope="module")
def lab() -> Iterator[MailLab]:
    with running() as lab:
        _send(lab)
        _login(lab, "alice@lab.test", "right-password")
        _login(lab, "cs@lab.test", "not-the-password")
        _settle(lab)
        yield lab


@pytest.fixture
def appliance(lab: MailLab, serve: Callable[[Any], str]) -> ApplianceSettings:
    url = serve(create_app([str(lab.maillog), str(lab.dovecot_log)], TOKEN))
    return ApplianceSettings(kind="generic", url=f"{url}/api/v1", token=TOKEN)


async def _one(address: str, settings: ApplianceSettings, **kw: Any) -> Track:
    tracks = await track(address, 3600, settings, **kw)
    mine = [t for t in tracks if address in (t.recipient, t.sender)]
    assert len(mine) == 1, [t.as_json() for t in tracks]
    return mine[0]


async def test_a_delivered_message_is_sent_with_no_failed_step(
    appliance: ApplianceSettings,
) -> None:
    t = await _one("good@relay.test", appliance)
    assert (t.status, t.failed_step, t.direction, t.reply_code) == ("sent", "", "outbound", "250")


async def test_an_unknown_user_at_the_next_hop_fails_at_rcpt_to(
    appliance: ApplianceSettings,
) -> None:
    t = await _one("cs@relay.test", appliance)
    assert (t.status, t.failed_step, t.reply_code, t.status_code) == (
        "bounced",
        "rcpt_to",
        "550",
        "5.1.1",
    )
    assert "User unknown" in t.reason
    assert any(line.endswith("RCPT TO:<cs@relay.test>") for line in t.transcript)


@pytest.mark.parametrize(
    ("address", "code"), [("grey@relay.test", "450"), ("grey421@relay.test", "421")]
)
async def test_greylisting_is_recognised_and_not_a_failure(
    appliance: ApplianceSettings, address: str, code: str
) -> None:
    t = await _one(address, appliance)
    assert (t.status, t.failed_step, t.reply_code) == ("greylisted", "rcpt_to", code)
    assert not t.status.failed


async def test_a_domain_whose_mx_does_not_resolve_fails_at_the_dns_lookup(
    appliance: ApplianceSettings,
) -> None:
    t = await _one("user@nomx.test", appliance)
    assert (t.status, t.failed_step, t.status_code) == ("deferred", "dns", "4.4.3")
    assert "type=MX" in t.reason


async def test_a_gateway_reject_is_an_inbound_rejection_at_rcpt_to(
    appliance: ApplianceSettings,
) -> None:
    t = await _one("nobody@relay.test", appliance, direction="inbound")
    assert (t.status, t.failed_step, t.reply_code, t.status_code) == (
        "rejected",
        "rcpt_to",
        "550",
        "5.1.1",
    )


async def test_pop3_and_imap_logins_are_tracked_good_and_failed(
    appliance: ApplianceSettings,
) -> None:
    good = await track("alice@lab.test", 3600, appliance)
    bad = await track("cs@lab.test", 3600, appliance, failed_only=True)
    assert sorted((t.protocol, t.status) for t in good) == [("imap", "ok"), ("pop3", "ok")]
    assert sorted((t.protocol, t.status, t.failed_step) for t in bad) == [
        ("imap", "login_failed", "login"),
        ("pop3", "login_failed", "login"),
    ]
    assert all(t.client == "127.0.0.1" and "Password mismatch" in t.reason for t in bad)


async def test_the_chat_answer_names_the_step_and_puts_the_transcript_in_the_thread(
    appliance: ApplianceSettings, ctx: Context
) -> None:
    from handlers.conntrack import handle

    ctx.settings = HandlerSettings(appliance=appliance)
    reply = await handle(
        "cs@relay.test since 1h", Request("/mailtrack cs@relay.test", lang="en"), ctx
    )
    assert reply.status is Status.FAIL
    failed = [s for s in reply.main_sections if s.status is Status.FAIL]
    assert dict(failed[0].fields)["Failed step"] == "RCPT TO (recipient)"
    assert any("550 5.1.1" in line for s in reply.thread_sections for line in s.code.splitlines())
