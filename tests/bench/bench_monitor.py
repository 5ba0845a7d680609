"""Benchmark of a monitor sweep on the DNS lab: a /22 (1,024 IPs) x 20 lists, and how cost grows.

Run: .venv/bin/python tests/bench/bench_monitor.py   (needs rbldnsd, knot and unbound; as root)
Prints the time and memory of whole sweeps (health checks, lookups, judging, store) through
bot.monitor.Monitor over a SQLite file, then a grid of IPs x lists timing the sweep alone.
Targets are 127.0.0.0/22 on the lab lists: 127.0.0.2 is on every list, 127.0.1.9/.10 on some.
"""

from __future__ import annotations

import asyncio
import ipaddress
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bot.config import load_settings  # noqa: E402
from bot.monitor import Monitor  # noqa: E402
from bot.runtime import Runtime  # noqa: E402
from handlers.dnsbl import DnsblClient, zones_for  # noqa: E402
from handlers.monitor.sweep import sweep  # noqa: E402
from handlers.store import WatchEntry  # noqa: E402
from tests.lab.dns import DnsLab  # noqa: E402


class Quiet:
    name = "bench"

    def __init__(self) -> None:
        self.posted = 0

    async def post_alert(self, reply: object, thread_ref: str | None) -> str:
        self.posted += 1
        return str(self.posted)


async def whole_sweeps(lab: DnsLab, db: str) -> None:
    zones = ",".join(lab.bench_ip_zones)
    settings = load_settings(
        environ={
            "MAILTRIAGE_DB": db,
            "MAILTRIAGE_RESOLVERS": "{}:{}".format(*lab.resolver),
            "MAILTRIAGE_DNSBL_ZONES": zones,
            "MAILTRIAGE_WATCH": "127.0.0.0/22",
        }
    )
    runtime = await Runtime.open(settings)
    chat = Quiet()
    monitor = Monitor(runtime, [chat], holder="bench")
    print(f"lists configured: {len(lab.bench_ip_zones)}; targets: 1,024 (127.0.0.0/22)")
    for label in ("first sweep (states written)", "second sweep", "third sweep", "traced"):
        if label == "traced":
            tracemalloc.start()
        start = time.perf_counter()
        alerts = await monitor.sweep_once()
        elapsed = time.perf_counter() - start
        sent = await monitor.deliver_due()
        if label == "traced":
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            print(f"python heap peak during a sweep (tracemalloc): {peak / 1e6:.1f} MB")
            break
        print(f"{label:30s} {elapsed:6.2f} s  alerts {len(alerts):3d}  delivered {sent:3d}")
    await monitor.close()
    await runtime.close()


async def grid(lab: DnsLab, db: str) -> None:
    print("\nsweep time (s) by IPs x lists (lookups only, store on SQLite):")
    zones_all = lab.bench_ip_zones
    sizes, counts = (256, 512, 1024), (5, 10, 20)
    print("IPs \\ lists " + "".join(f"{n:>9d}" for n in counts))
    for n_ips in sizes:
        net = ipaddress.ip_network(f"127.0.4.0/{32 - (n_ips.bit_length() - 1)}")
        row = []
        for n_lists in counts:
            settings = load_settings(
                environ={
                    "MAILTRIAGE_DB": db,
                    "MAILTRIAGE_RESOLVERS": "{}:{}".format(*lab.resolver),
                    "MAILTRIAGE_DNSBL_ZONES": ",".join(zones_all[:n_lists]),
                }
            ).handler_settings()
            runtime = await Runtime.open(load_settings(environ={"MAILTRIAGE_DB": db}))
            client = DnsblClient(settings)
            start = time.perf_counter()
            await sweep(
                [WatchEntry(str(net), "network", "bench", 0.0)],
                client,
                runtime.store,
                ip_lists=zones_for(settings, "ip"),
                domain_lists=[],
                now=time.time(),
            )
            row.append(time.perf_counter() - start)
            await client.close()
            await runtime.close()
        per_query = row[-1] / (n_ips * counts[-1]) * 1e6
        print(
            f"{n_ips:>11d} " + "".join(f"{t:9.2f}" for t in row) + f"   ({per_query:.0f} µs/query)"
        )


async def main() -> None:
    with DnsLab() as lab, tempfile.TemporaryDirectory() as tmp:
        await whole_sweeps(lab, f"sqlite:///{tmp}/bench.db")
        await grid(lab, f"sqlite:///{tmp}/grid.db")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nmax resident memory of the process: {rss:.0f} MB")


if __name__ == "__main__":
    asyncio.run(main())
