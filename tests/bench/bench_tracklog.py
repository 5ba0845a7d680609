"""Benchmark: Postfix/Dovecot log lines read into tracks per second, and /mailtrack over a busy day.

Run: .venv/bin/python tests/bench/bench_tracklog.py [--messages 10000]

Builds a day of logs of a server taking `--messages` messages a day from the line patterns of the
reference lab (../shared/reference/appliance): smtpd sessions, cleanup/qmgr, smtp deliveries (sent,
greylisted then sent, 550 bounces, MX lookup failures), NOQUEUE and postscreen rejects, SASL
failures and Dovecot POP3/IMAP logins. Prints lines/s of the reader on one core (target >= 100,000)
and the time of /mailtrack for one address over that day with the postfix source (target <= 2 s).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import httpx

from bot.appliance import create_app
from handlers.conntrack import handle, track
from handlers.conntrack.postfix_log import read_tracks
from handlers.request import ApplianceSettings, Context, HandlerSettings, Request

DAY = 86400
H = "mx postfix"


class _NoStore:
    """/mailtrack never touches the store."""


def day_of_logs(messages: int, start: float, rng: random.Random) -> list[str]:
    """A day of Postfix and Dovecot lines, in time order."""
    events: list[tuple[float, list[str]]] = []
    for n in range(messages):
        t = start + rng.random() * DAY
        qid = f"{rng.getrandbits(40):010X}"
        pid = 1000 + n % 400
        ip = f"198.51.{n % 200}.{(n * 7) % 250 + 1}"
        rcpt = f"user{n % 3000}@example.org"
        sender = f"sender{n % 500}@client{n % 90}.example"
        kind = rng.random()
        lines = [
            f"{H}/postscreen[900]: CONNECT from [{ip}]:{40000 + n % 20000} to [192.0.2.1]:25",
            f"{H}/postscreen[900]: PASS OLD [{ip}]:{40000 + n % 20000}",
            f"{H}/smtpd[{pid}]: connect from mail{n}.client.example[{ip}]",
        ]
        if kind < 0.03:
            lines += [
                f"{H}/smtpd[{pid}]: NOQUEUE: reject: RCPT from mail{n}.client.example[{ip}]: 550 5.1.1 <{rcpt}>: Recipient address rejected: User unknown in virtual mailbox table; from=<{sender}> to=<{rcpt}> proto=ESMTP helo=<mail{n}.client.example>",
                f"{H}/smtpd[{pid}]: disconnect from mail{n}.client.example[{ip}] ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4",
            ]
            events.append((t, lines))
            continue
        lines += [
            f"{H}/smtpd[{pid}]: {qid}: client=mail{n}.client.example[{ip}]",
            f"{H}/cleanup[{pid + 1}]: {qid}: message-id=<{n}.{qid}@client.example>",
            f"{H}/qmgr[800]: {qid}: from=<{sender}>, size={1000 + n % 50000}, nrcpt=1 (queue active)",
            f"{H}/smtpd[{pid}]: disconnect from mail{n}.client.example[{ip}] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5",
        ]
        relay = f"mx{n % 40}.example.org[203.0.113.{n % 250 + 1}]:25"
        if kind < 0.08:
            lines.append(
                f"{H}/smtp[{pid + 2}]: {qid}: to=<{rcpt}>, relay={relay}, delay=0.4, delays=0.1/0/0.1/0.2, dsn=4.7.1, status=deferred (host {relay[:-3]} said: 450 4.7.1 <{rcpt}>: Recipient address rejected: Greylisted, try again later (in reply to RCPT TO command))"
            )
            events.append((t, lines))
            lines = [f"{H}/qmgr[800]: {qid}: from=<{sender}>, size=1200, nrcpt=1 (queue active)"]
            t += 300
        if kind < 0.12 and kind >= 0.08:
            lines.append(
                f"{H}/smtp[{pid + 2}]: {qid}: to=<{rcpt}>, relay={relay}, delay=0.3, delays=0.1/0/0.1/0.1, dsn=5.1.1, status=bounced (host {relay[:-3]} said: 550 5.1.1 <{rcpt}>: Recipient address rejected: User unknown (in reply to RCPT TO command))"
            )
        elif kind < 0.15 and kind >= 0.12:
            lines.append(
                f"{H}/smtp[{pid + 2}]: {qid}: to=<{rcpt}>, relay=none, delay=12, delays=12/0/0/0, dsn=4.4.3, status=deferred (Host or domain name not found. Name service error for name=example.org type=MX: Host not found, try again)"
            )
        else:
            lines.append(
                f"{H}/smtp[{pid + 2}]: {qid}: to=<{rcpt}>, relay={relay}, delay=0.5, delays=0.1/0/0.2/0.2, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as {n:X})"
            )
        lines.append(f"{H}/qmgr[800]: {qid}: removed")
        events.append((t, lines))
    for n in range(messages):  # about as many mailbox logins as messages
        t = start + rng.random() * DAY
        proto = "pop3" if n % 3 else "imap"
        user = f"user{n % 3000}@example.org"
        session = f"S{n:08d}AAAB"
        ip = f"192.0.2.{n % 250 + 1}"
        if n % 20 == 0:
            lines = [
                f"mx dovecot: auth: passwd-file({user},{ip},<{session}>): Password mismatch",
                f"mx dovecot: {proto}-login: Disconnected: Aborted login by logging out (auth failed, 1 attempts in 2 secs): user=<{user}>, method=PLAIN, rip={ip}, lip=192.0.2.1, TLS, session=<{session}>",
            ]
        else:
            lines = [
                f"mx dovecot: {proto}-login: Login: user=<{user}>, method=PLAIN, rip={ip}, lip=192.0.2.1, mpid={n}, TLS, session=<{session}>",
                f"mx dovecot: {proto}({user})<{n}><{session}>: Disconnected: Logged out in=40 out=900",
            ]
        events.append((t, lines))
    events.sort(key=lambda e: e[0])
    out = []
    for t, lines in events:
        stamp = datetime.fromtimestamp(t, UTC).strftime("%b %d %H:%M:%S")
        out.extend(f"{stamp} {line}" for line in lines)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    now = time.time()
    lines = day_of_logs(args.messages, now - DAY, random.Random(7))
    best = cpu = float("inf")
    for _ in range(args.repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        tracks = read_tracks(lines, tz=UTC, now=now)
        best = min(best, time.perf_counter() - t0)
        cpu = min(cpu, time.process_time() - c0)
    print(
        f"log reader: {len(lines):,} lines -> {len(tracks):,} tracks: "
        f"{len(lines) / cpu:,.0f} lines/s of CPU time on one core ({cpu:.3f} s), "
        f"{len(lines) / best:,.0f} lines/s wall clock ({best:.3f} s)"
    )

    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "mail.log"
        log.write_text("\n".join(lines) + "\n")
        appliance = ApplianceSettings(kind="postfix", log_paths=(str(log),))
        ctx = Context(HandlerSettings(appliance=appliance), _NoStore(), lambda: now)  # type: ignore[arg-type]
        for address in ("user42@example.org", "sender7@client7.example"):
            t0, c0 = time.perf_counter(), time.process_time()
            ask = f"{address} since 24h"
            reply = asyncio.run(handle(ask, Request("/mailtrack", lang="en"), ctx))
            took, cpu = time.perf_counter() - t0, time.process_time() - c0
            print(
                f"/mailtrack {ask} ({log.stat().st_size / 1e6:.1f} MB, {len(lines):,} lines): "
                f"{took:.3f} s wall clock, {cpu:.3f} s CPU, "
                f"{len(reply.data['tracks'])} tracks, status {reply.status}"
            )
        _over_http(str(log), now)


def _over_http(log: str, now: float) -> None:
    """The same question through `appliance serve`'s app and the generic adapter (in process)."""
    app = create_app([log], "bench-token")
    settings = ApplianceSettings(kind="generic", url="http://appliance/api/v1", token="bench-token")

    async def ask() -> float:
        t0 = time.perf_counter()
        transport = httpx.ASGITransport(app=app)
        await track("user42@example.org", DAY, settings, now=now, transport=transport)
        return time.perf_counter() - t0

    async def both() -> tuple[float, float]:
        return await ask(), await ask()

    first, again = asyncio.run(both())
    print(
        f"/mailtrack over the generic API (appliance serve app): first request {first:.3f} s "
        f"(reads the day's log), next {again:.3f} s (log unchanged)"
    )


if __name__ == "__main__":
    main()
