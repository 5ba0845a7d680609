"""mailcow: a fake API on loopback serving the reference log answers (newest first, epoch strings)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from handlers.conntrack import track
from handlers.conntrack.sources import Query
from handlers.conntrack.sources.mailcow import MailcowSource
from handlers.errors import ApplianceError
from handlers.request import ApplianceSettings
from tests.lab.binaries import shared_dir

KEY = "mailcow-api-key-0c7e"
NOW = 1795435300.0


class FakeMailcow:
    def __init__(self, postfix: str = "mailcow_logs_postfix_full.json") -> None:
        ref = shared_dir() / "reference" / "appliance"
        self.logs = {
            "postfix": json.loads((ref / postfix).read_text()),
            "dovecot": json.loads((ref / "mailcow_logs_dovecot.json").read_text()),
        }
        self.counts: list[int] = []

    async def logs_of(self, request: Request) -> Response:
        if request.headers.get("x-api-key") != KEY:
            return JSONResponse({"type": "error", "msg": "authentication failed"}, status_code=401)
        count = int(request.path_params["count"])
        self.counts.append(count)
        lines = self.logs.get(request.path_params["service"], [])[:count]
        return JSONResponse(lines or {})

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/api/v1/get/logs/{service}/{count:int}", self.logs_of)])


@pytest.fixture
def mailcow(serve: Callable[[Any], str]) -> tuple[FakeMailcow, ApplianceSettings]:
    fake = FakeMailcow()
    return fake, ApplianceSettings(kind="mailcow", url=serve(fake.app()), token=KEY)


async def test_postfix_lines_are_rebuilt_into_tracks_with_their_steps(
    mailcow: tuple[FakeMailcow, ApplianceSettings],
) -> None:
    _, settings = mailcow
    by_rcpt = {t.recipient: t for t in await track("sender@client.test", 3600, settings, now=NOW)}
    assert (by_rcpt["cs@relay.test"].status, by_rcpt["cs@relay.test"].failed_step) == (
        "bounced",
        "rcpt_to",
    )
    assert by_rcpt["user@nomx.test"].failed_step == "dns"
    assert by_rcpt["user@refused.test"].failed_step == "connect"
    assert by_rcpt["grey@relay.test"].status == "sent"  # greylisted first, delivered on retry
    assert (by_rcpt["nobody@relay.test"].status, by_rcpt["nobody@relay.test"].direction) == (
        "rejected",
        "inbound",
    )


async def test_dovecot_lines_give_pop3_and_imap_login_tracks(
    mailcow: tuple[FakeMailcow, ApplianceSettings],
) -> None:
    _, settings = mailcow
    tracks = await track("cs@relay.test", 3600, settings, protocol="pop3", now=NOW)
    assert [(t.protocol, t.status, t.failed_step, t.reason) for t in tracks] == [
        ("pop3", "login_failed", "login", "Password mismatch")
    ]


async def test_the_line_count_doubles_until_the_window_is_covered(
    mailcow: tuple[FakeMailcow, ApplianceSettings],
) -> None:
    fake, settings = mailcow
    query = Query(address="cs@relay.test", since=NOW - 3600, until=NOW, protocol="smtp")
    tracks = await MailcowSource(settings, first=20).fetch(query)
    assert fake.counts[:4] == [20, 40, 80, 160]
    assert {t.failed_step for t in tracks if t.status == "bounced"} == {"rcpt_to"}


async def test_an_empty_log_is_no_tracks(serve: Callable[[Any], str]) -> None:
    fake = FakeMailcow()
    fake.logs = {"postfix": [], "dovecot": []}
    settings = ApplianceSettings(kind="mailcow", url=serve(fake.app()), token=KEY)
    assert await track("cs@relay.test", 3600, settings, now=NOW) == []


async def test_a_wrong_api_key_is_refused_and_named(
    mailcow: tuple[FakeMailcow, ApplianceSettings],
) -> None:
    _, settings = mailcow
    bad = ApplianceSettings(kind="mailcow", url=settings.url, token="not-the-key-3141")
    with pytest.raises(ApplianceError) as exc:
        await track("cs@relay.test", 3600, bad, now=NOW)
    assert "mailcow" in str(exc.value) and "401" in str(exc.value)
    assert "not-the-key-3141" not in str(exc.value)
