"""Benchmark of the Slack adapter: slash-command ack latency through slack-bolt, and rendering speed.

Run from the checkout: `.venv/bin/python tests/bench/bench_slack.py [N]` (default 300 requests).
Sends N correctly signed slash commands to the adapter's /slack/events route (slack-bolt's real
request handling, over httpx's ASGI transport, answers posted to the local fake Slack Web API) and
prints the ack latency percentiles (Slack wants the ack within 3 s) and the answers' throughput; then
times Block Kit rendering of a large reply (300 findings, split into messages of <= 50 blocks).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from starlette.applications import Starlette  # noqa: E402

from bot.config import Settings  # noqa: E402
from bot.render.slack import all_messages  # noqa: E402
from bot.slack.adapter import SlackAdapter  # noqa: E402
from bot.store import open_store  # noqa: E402
from handlers.reply import Finding, Reply, Section, Status  # noqa: E402
from handlers.request import Request  # noqa: E402
from tests.fakes.slack_api import FakeSlackApi  # noqa: E402
from tests.fakes.slack_payloads import SECRET, command_form, encoded, sign  # noqa: E402

ANSWER = Reply(
    title="example.com",
    summary="MX and SPF fine; DMARC missing.",
    status=Status.WARN,
    sections=(Section(heading="DMARC", text="no record at _dmarc.example.com", in_thread=True),),
)


async def ask(req: Request) -> Reply:
    return ANSWER


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


async def bench_acks(n: int) -> None:
    async with FakeSlackApi() as fake:
        tmp = tempfile.mkdtemp()
        store = await open_store(f"sqlite:///{tmp}/bench.sqlite3")
        settings = Settings(
            slack_bot_token=fake.bot_token,
            slack_signing_secret=SECRET,
            slack_api_url=fake.api_url,
            http_port=0,
        )
        adapter = SlackAdapter(settings, ask, store)
        transport = httpx.ASGITransport(app=Starlette(routes=adapter.routes()))
        latencies = []
        started = time.perf_counter()
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for i in range(n):
                form = command_form("/mailcheck", "example.com", fake.response_url())
                form["channel_id"] = f"C{i:08d}"  # one channel each: no pacing in the figure
                body, kind = encoded("command", form)
                t0 = time.perf_counter()
                resp = await client.post(
                    "/slack/events", content=body, headers={**sign(body), "Content-Type": kind}
                )
                latencies.append(time.perf_counter() - t0)
                assert resp.status_code == 200, resp.text
            await fake.wait_for("chat.postMessage", 2 * n, within=120)
        total = time.perf_counter() - started
        await adapter.stop()
        await store.close()
    ms = [x * 1000 for x in latencies]
    print(f"slash command acks: n={n}")
    print(
        f"  ack latency ms: median {statistics.median(ms):.1f}  p95 {percentile(ms, 0.95):.1f}"
        f"  p99 {percentile(ms, 0.99):.1f}  max {max(ms):.1f}"
    )
    print(f"  answered (summary + thread detail): {n / total:.0f} commands/s end to end")


def bench_render() -> None:
    findings = tuple(
        Finding("dnsbl", Status.WARN, f"zone{i}.example", evidence="127.0.0.2", detail="x" * 200)
        for i in range(300)
    )
    sections = tuple(
        Section(heading=f"part {i}", findings=findings[i * 5 : i * 5 + 5]) for i in range(60)
    )
    reply = Reply(title="big", summary="s & <b>", sections=sections)
    rounds = 50
    t0 = time.perf_counter()
    for _ in range(rounds):
        messages = all_messages(reply)
    per = (time.perf_counter() - t0) / rounds * 1000
    blocks = sum(len(m.blocks) for m in messages)
    print(f"render: 300 findings -> {len(messages)} messages, {blocks} blocks, {per:.2f} ms each")


if __name__ == "__main__":
    asyncio.run(bench_acks(int(sys.argv[1]) if len(sys.argv) > 1 else 300))
    bench_render()
