"""A whole /mailcheck on the DNS lab: in-process latency, and whole-process time against checkdmarc.

Run: .venv/bin/python tests/bench/bench_mailcheck.py [--runs 30] [--checkdmarc PATH]
Checks bench.lab.test (2 MX hosts, SPF with an include, DMARC, TLS-RPT, DKIM) with 20 IP
blocklists and no SMTP probe. checkdmarc (pip-installed in a throwaway venv, default
/tmp/h3-checkdmarc/bin/checkdmarc) only takes resolvers on port 53, so unbound also listens on
127.0.53.1:53 for it; without checkdmarc or that address the comparison is skipped.

checkdmarc runs from the bytecode pip compiled when installing it; ours runs the same way, from
bytecode kept in a temporary PYTHONPYCACHEPREFIX (filled by a first run), and the ratio is taken on
that. The time with every module compiled on each start (PYTHONDONTWRITEBYTECODE=1 on a checkout)
is printed too.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from handlers.mailcheck import check  # noqa: E402
from handlers.request import HandlerSettings  # noqa: E402
from tests.lab.dns import DnsLab  # noqa: E402

DOMAIN = "bench.lab.test"
EXTRA = ("127.0.53.1", 53)


def start_lab() -> tuple[DnsLab, bool]:
    try:
        return DnsLab(extra_listen=EXTRA).start(), True
    except (RuntimeError, OSError) as exc:
        print(f"(unbound cannot also listen on {EXTRA[0]}:53: {str(exc)[:100]}; no checkdmarc run)")
        return DnsLab().start(), False


def timed(argv: list[str], runs: int, env: dict[str, str]) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, timeout=120)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise RuntimeError(f"{argv[0]} exited {done.returncode}: {done.stderr[-400:]!r}")
    return times


async def in_process(settings: HandlerSettings, runs: int) -> list[float]:
    for _ in range(3):  # warm the imports, the knowledge base and the resolver's cache
        await check(DOMAIN, settings, lang="en")
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = await check(DOMAIN, settings, lang="en")
        times.append(time.perf_counter() - start)
    print(
        f"verdict {result.verdict}, {len(result.findings)} findings, "
        f"{sum(1 for f in result.findings if f.check == 'dnsbl')} blocklist findings"
    )
    return times


def show(label: str, times: list[float]) -> float:
    median = statistics.median(times)
    q90 = sorted(times)[int(len(times) * 0.9) - 1] if len(times) >= 10 else max(times)
    print(f"{label:34s} median {median * 1000:7.1f} ms  p90 {q90 * 1000:7.1f} ms  (n={len(times)})")
    return median


def main() -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the lab's servers on TERM
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--process-runs", type=int, default=10)
    parser.add_argument("--checkdmarc", default="/tmp/h3-checkdmarc/bin/checkdmarc")
    args = parser.parse_args()
    lab, extra = start_lab()
    pycache = tempfile.TemporaryDirectory(prefix="bench-mailcheck-pyc-")
    try:
        zones = lab.bench_ip_zones
        settings = HandlerSettings(resolvers=(lab.resolver,), dns_timeout=3.0, dnsbl_zones=zones)
        print(f"{DOMAIN}: 2 MX hosts, {len(zones)} blocklists, no probe")
        show("in process (check())", asyncio.run(in_process(settings, args.runs)))
        env = {k: v for k, v in os.environ.items() if not k.startswith("MAILTRIAGE_")}
        env.pop("PYTHONPYCACHEPREFIX", None)
        source_env = {**env, "PYTHONDONTWRITEBYTECODE": "1"}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = pycache.name
        ours = [
            sys.executable,
            "-m",
            "bot",
            "check",
            "--json",
            "--resolver",
            f"127.0.0.1:{lab.resolver[1]}",
            "--dnsbl",
            ",".join(zones),
            DOMAIN,
        ]
        timed(ours, 1, env)  # fills the bytecode cache
        if not extra or not Path(args.checkdmarc).exists():
            show("whole process: mailtriage check", timed(ours, args.process_runs, env))
            show("  (ours compiled on each start)", timed(ours, args.process_runs, source_env))
            print(
                f"checkdmarc comparison skipped ({args.checkdmarc} missing or no port-53 resolver)"
            )
            return
        theirs = [args.checkdmarc, DOMAIN, "-n", EXTRA[0], "-t", "3"]
        mine, source, other = [], [], []
        for _ in range(args.process_runs):  # interleaved, so all see the same machine load
            mine += timed(ours, 1, env)
            source += timed(ours, 1, source_env)
            other += timed(theirs, 1, source_env)
        ratio = show("whole process: mailtriage check", mine) / show(
            "whole process: checkdmarc", other
        )
        compiled = show("  (ours compiled on each start)", source) / statistics.median(other)
        print(f"mailtriage check takes {ratio:.2f} of checkdmarc's time (target <= 0.50)")
        print(f"  ({compiled:.2f} when our modules are compiled on each start)")
    finally:
        lab.stop()
        pycache.cleanup()


if __name__ == "__main__":
    main()
