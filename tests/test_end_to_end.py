"""The whole bot as users meet it: `mailtriage serve` as a real process with Slack, Telegram,
the DNS lab and a SQLite file; a paste, a /mailcheck, a blocklist alert, SIGTERM and a restart."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_payloads import SECRET, encoded, message_event, sign
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.lab.binaries import free_port
from tests.lab.dns import DnsLab

pytestmark = pytest.mark.lab

ROOT = Path(__file__).resolve().parents[1]
ALERT_CHANNEL = "C0ALERTS1"
ALERT_CHAT = "-1001234"
ZONE = "bl1.dnsbl.lab.test"
WATCHED = "127.0.1.77"
BOUNCE = (
    "This is the mail system at host mx.lab.test.\n\n"
    "<kim@example.net>: host mx.example.net[192.0.2.25] said: 550 5.1.1 <kim@example.net>:\n"
    "    Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO\n"
    "    command)\n"
)


class Bot:
    """`python -m bot serve` in a subprocess, with its stderr kept for the failure message."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log = env, log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", "--no-console"],
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self.log.open("ab"),
        )

    async def wait_healthy(self, port: int) -> None:
        async with httpx.AsyncClient() as client:
            for _ in range(300):
                assert self.proc is not None and self.proc.poll() is None, self.log.read_text()
                try:
                    if (await client.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        raise AssertionError("the bot did not become ready:\n" + self.log.read_text())

    async def terminate(self) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        for _ in range(400):
            code = self.proc.poll()
            if code is not None:
                return code
            await asyncio.sleep(0.1)
        self.proc.kill()
        raise AssertionError("the bot did not stop within 40 s of SIGTERM")


@pytest.fixture
def lab_zone(dns_lab: DnsLab) -> Iterator[DnsLab]:
    original = list(dns_lab.ip_zones[ZONE])
    yield dns_lab
    dns_lab.set_entries(ZONE, original)


@pytest.fixture
async def fakes() -> AsyncIterator[tuple[FakeSlackApi, FakeTelegramAPI]]:
    telegram = FakeTelegramAPI(max_poll_wait=0.2)
    async with FakeSlackApi() as slack, telegram.running():
        yield slack, telegram


def alerts_in_slack(slack: FakeSlackApi) -> list[dict[str, object]]:
    return [
        c.args for c in slack.calls_to("chat.postMessage") if c.args.get("channel") == ALERT_CHANNEL
    ]


def alerts_in_telegram(telegram: FakeTelegramAPI) -> list[object]:
    return [s for s in telegram.sent if str(s.chat_id) == ALERT_CHAT]


async def eventually(check: object, within: float = 30.0) -> None:
    assert callable(check)
    for _ in range(int(within * 10)):
        if check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"not reached within {within} s")


async def test_serve_answers_alerts_stops_and_resumes_without_repeating(
    lab_zone: DnsLab, fakes: tuple[FakeSlackApi, FakeTelegramAPI], tmp_path: Path
) -> None:
    slack, telegram = fakes
    port = free_port()
    host, dns_port = lab_zone.resolver
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "TELEGRAM_", "MAILTRIAGE_"))
    }
    env |= {
        "MAILTRIAGE_DB": f"sqlite:///{tmp_path / 'bot.sqlite3'}",
        "MAILTRIAGE_HTTP_PORT": str(port),
        "MAILTRIAGE_HTTP_HOST": "127.0.0.1",
        "MAILTRIAGE_RESOLVERS": f"{host}:{dns_port}",
        "MAILTRIAGE_DNSBL_ZONES": ZONE,
        "MAILTRIAGE_WATCH": WATCHED,
        "MAILTRIAGE_MONITOR_INTERVAL": "1",
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.api_url,
        "SLACK_ALERT_CHANNEL": ALERT_CHANNEL,
        "TELEGRAM_BOT_TOKEN": telegram.token,
        "TELEGRAM_API_URL": telegram.base_url,
        "TELEGRAM_ALERT_CHAT": ALERT_CHAT,
    }
    log = tmp_path / "bot.log"
    bot = Bot(env, log)
    bot.start()
    await bot.wait_healthy(port)

    # A bounce pasted in a Slack channel gets its answer in the paste's thread.
    event = message_event(BOUNCE)
    body, content_type = encoded("event", event)
    async with httpx.AsyncClient() as client:
        answer = await client.post(
            f"http://127.0.0.1:{port}/slack/events",
            content=body,
            headers={"Content-Type": content_type, **sign(body)},
        )
    assert answer.status_code == 200
    try:
        posts = await slack.wait_for("chat.postMessage", within=20)
    except TimeoutError:
        raise AssertionError("no answer in Slack:\n" + log.read_text()) from None
    in_thread = [p.args for p in posts if p.args.get("thread_ts") == event["event"]["ts"]]
    assert in_thread and "kim@example.net" in json.dumps(in_thread, ensure_ascii=False)

    # /mailcheck of a lab domain answers in Telegram.
    telegram.deliver(telegram.message_update("/mailcheck good.lab.test"))
    sent = await telegram.wait_sent(1, within=30)
    assert any("good.lab.test" in s.text for s in sent)

    # The watched IP gets listed: each alert channel gets exactly one alert.
    lab_zone.set_entries(ZONE, ["127.0.0.2", f"{WATCHED} :127.0.0.2:Listed in the e2e test"])
    await eventually(lambda: alerts_in_slack(slack) and alerts_in_telegram(telegram))
    await asyncio.sleep(3)  # a few more sweeps: still one alert each
    assert len(alerts_in_slack(slack)) == 1 and len(alerts_in_telegram(telegram)) == 1
    assert WATCHED in json.dumps(alerts_in_slack(slack)[0])

    # SIGTERM ends it cleanly.
    assert await bot.terminate() == 0, log.read_text()
    slack_posts, telegram_sent = len(slack.calls_to("chat.postMessage")), len(telegram.sent)

    # A restart resumes and sends nothing twice.
    restarted = Bot(env, log)
    restarted.start()
    await restarted.wait_healthy(port)
    await asyncio.sleep(4)
    assert len(slack.calls_to("chat.postMessage")) == slack_posts
    assert len(telegram.sent) == telegram_sent
    assert await restarted.terminate() == 0
    assert "Traceback" not in log.read_text()
