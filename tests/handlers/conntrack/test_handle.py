"""/mailtrack in chat: arguments, the answer's table and explanations, and clear errors."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from handlers.conntrack import handle
from handlers.conntrack.args import parse_args
from handlers.dispatch import dispatch
from handlers.errors import ApplianceError, UsageError
from handlers.reply import Kind, Status
from handlers.request import ApplianceSettings, Context, HandlerSettings, Request
from tests.lab.binaries import free_port, shared_dir

NOW = 1795435300.0  # 2026-11-23 12:01:40 UTC, just after the reference lab run


def _postfix(*paths: str) -> HandlerSettings:
    return HandlerSettings(appliance=ApplianceSettings(kind="postfix", log_paths=paths))


@pytest.fixture
def reference_ctx(ctx: Context) -> Context:
    ref = shared_dir() / "reference" / "appliance"
    ctx.settings = _postfix(str(ref / "sample_maillog.txt"), str(ref / "sample_dovecot.log"))
    ctx.clock = lambda: NOW
    return ctx


def test_arguments_take_a_window_a_direction_a_protocol_and_failed() -> None:
    a = parse_args("<Alex@Example.com> since 2h outbound failed")
    assert (a.address, a.since_seconds, a.direction, a.failed_only) == (
        "alex@example.com",
        7200,
        "outbound",
        True,
    )
    assert parse_args("alex@example.com 3d pop3").protocol == "pop3"
    assert parse_args("alex@example.com since=90m").since_seconds == 5400


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ("", "Give the email address"),
        ("not-an-address", "is not an email address"),
        ("alex@example.com since 400d", "is not a time window"),
        ("alex@example.com since", "is not a time window"),
        ("alex@example.com sideways", "is not understood"),
    ],
)
def test_bad_arguments_say_what_to_send_instead(args: str, says: str) -> None:
    with pytest.raises(UsageError, match=says):
        parse_args(args)


async def test_the_answer_has_a_table_and_explains_each_failed_track(
    reference_ctx: Context,
) -> None:
    reply = await handle("cs@relay.test since 1h", Request("/mailtrack", lang="en"), reference_ctx)
    assert reply.status is Status.FAIL
    table = reply.main_sections[0]
    assert table.code.splitlines()[0].split() == ["time", "(UTC)", "direction", "peer", "status"]
    assert "bounced" in table.code and "IMAP" in table.code
    bounced = [s for s in reply.main_sections if s.status is Status.FAIL and "bounced" in s.heading]
    fields = dict(bounced[0].fields)
    assert fields["Failed step"] == "RCPT TO (recipient)"
    assert "550 5.1.1" in fields["Reply"]
    assert "5.1.1: Bad destination mailbox address" in fields["Meaning"]
    assert bounced[0].steps  # the fix
    assert reply.thread_sections and all(s.code for s in reply.thread_sections)


async def test_the_answer_speaks_traditional_chinese(reference_ctx: Context) -> None:
    reply = await handle(
        "cs@relay.test since 1h", Request("/mailtrack", lang="zh-TW"), reference_ctx
    )
    assert "連線追蹤" in reply.title and "退信" in reply.main_sections[0].code
    assert any(dict(s.fields).get("失敗的步驟") == "RCPT TO（收件者）" for s in reply.main_sections)


async def test_greylisting_is_told_as_expected_and_not_as_a_failure(
    ctx: Context, tmp_path: Path
) -> None:
    stamp = time.strftime("%b %d %H:%M:%S", time.localtime(NOW - 60))
    log = tmp_path / "mail.log"
    log.write_text(
        f"{stamp} mx postfix/qmgr[1]: 5C2E19A0F1: from=<amy@example.net>, size=900, nrcpt=1 (queue active)\n"
        f"{stamp} mx postfix/smtp[2]: 5C2E19A0F1: to=<ling@example.com.tw>, relay=mail.example.com.tw[203.0.113.59]:25, delay=1.2, delays=0.3/0/0.7/0.2, dsn=4.7.0, status=deferred (host mail.example.com.tw[203.0.113.59] said: 421 4.7.0 example.com.tw Service unavailable - try again later (greylist enable) (in reply to RCPT TO command))\n"
    )
    ctx.settings, ctx.clock = _postfix(str(log)), lambda: NOW
    reply = await handle("ling@example.com.tw", Request("/mailtrack", lang="en"), ctx)
    assert reply.status is Status.OK
    assert "greylisted" in reply.main_sections[0].code
    assert not [s for s in reply.sections if s.status is Status.FAIL]
    assert any("expected" in s.text for s in reply.sections)


async def test_no_track_is_an_informative_answer(reference_ctx: Context) -> None:
    reply = await handle("nobody@nowhere.example", Request("/mailtrack", lang="en"), reference_ctx)
    assert reply.status is Status.INFO and "No connection track" in reply.summary


async def test_an_unconfigured_appliance_says_what_to_set(ctx: Context) -> None:
    with pytest.raises(ApplianceError, match="MAILTRIAGE_APPLIANCE_URL"):
        await handle("alex@example.com", Request("/mailtrack"), ctx)


async def test_an_unreadable_log_names_the_file(ctx: Context, tmp_path: Path) -> None:
    ctx.settings = _postfix(str(tmp_path / "missing.log"))
    with pytest.raises(ApplianceError, match=r"missing\.log"):
        await handle("alex@example.com", Request("/mailtrack"), ctx)


async def test_through_the_dispatcher_errors_are_short_replies(ctx: Context) -> None:
    usage = await dispatch(Request("/mailtrack"), ctx)
    assert usage is not None and usage.kind is Kind.USAGE and "email address" in usage.summary
    url = f"http://127.0.0.1:{free_port()}/api/v1"
    ctx.settings = HandlerSettings(
        appliance=ApplianceSettings(kind="generic", url=url, token="t0k3n-xyz", timeout=2)
    )
    failed = await dispatch(Request("/mailtrack alex@example.com"), ctx)
    assert failed is not None and failed.kind is Kind.ERROR
    assert "Appliance API" in failed.summary and "Traceback" not in failed.summary
    assert "t0k3n-xyz" not in failed.summary
