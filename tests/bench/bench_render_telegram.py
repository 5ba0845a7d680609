"""How long Telegram rendering takes: a typical answer, a long one, and a 2 MB hostile paste."""

from __future__ import annotations

import time

from bot.render.telegram import render
from handlers.reply import Finding, Reply, Section, Status


def typical() -> Reply:
    findings = tuple(
        Finding("dnsbl", Status.OK, f"zone{i}.example", evidence="NXDOMAIN") for i in range(30)
    )
    return Reply(
        title="example.com",
        summary="Mail to example.com should arrive; SPF is too permissive.",
        sections=(
            Section(heading="Checks", findings=findings),
            Section(heading="Raw", code="550 5.1.1 <a@example.com> & more\n" * 20, in_thread=True),
        ),
        steps=("Tighten SPF to -all.",),
    )


def paste(size: int) -> Reply:
    line = "<<< 550-5.7.1 [192.0.2.1] <a&b@example.com> *rejected* _policy_\n"
    code = line * (size // len(line))
    return Reply(title="t", summary="s", sections=(Section(heading="Transcript", code=code),))


def bench(name: str, reply: Reply, rounds: int) -> None:
    start = time.perf_counter()
    for _ in range(rounds):
        out = render(reply)
    per = (time.perf_counter() - start) / rounds
    size = sum(len(m.html) for m in out.messages)
    print(
        f"{name:28s} {per * 1000:9.2f} ms/render  {len(out.messages):3d} messages  {size:7d} chars"
    )


if __name__ == "__main__":
    bench("typical answer", typical(), 200)
    bench("20 kB transcript", paste(20_000), 20)
    bench("2 MB hostile paste", paste(2_000_000), 3)
