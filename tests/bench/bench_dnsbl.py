"""Bulk blocklist sweep on the DNS lab: 1,024 IPs x 20 lists, queries per second and false listings.

Run: .venv/bin/python tests/bench/bench_dnsbl.py [--rounds 5]
Starts the DNS lab (rbldnsd, knot, unbound; needs root and the Debian packages), lists a known set
of addresses on a few lists, sweeps a /22 through unbound (as the monitor does) and straight to
rbldnsd, and prints the median rate, retries and every listing that should not be there.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import signal
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from handlers.dnsbl import DnsblClient, generic_blocklist
from handlers.request import HandlerSettings
from knowledge.loader import load
from knowledge.model import Blocklist
from tests.lab.dns import DnsLab

NETWORK = ipaddress.ip_network("127.2.0.0/22")
LISTED = {  # zone -> every n-th address of the /22 is listed there
    "zen.spamhaus.org": 97,
    "b.barracudacentral.org": 41,
    "bl.spamcop.net": 113,
    "bl2.dnsbl.lab.test": 7,
}


def lists(lab: DnsLab) -> list[Blocklist]:
    known = load().blocklists
    return [known.get(z) or generic_blocklist(z, "ip") for z in lab.bench_ip_zones]


async def sweep(
    server: tuple[str, int], ips: list[str], zones: list[Blocklist]
) -> tuple[float, int, list]:
    client = DnsblClient(HandlerSettings(resolvers=(server,), dns_timeout=3.0))
    start = time.perf_counter()
    results = await client.lookup(ips, zones)
    elapsed = time.perf_counter() - start
    sent = client.udp.sent
    await client.close()
    return elapsed, sent, results


def main() -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the lab's servers on TERM
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    ips = [str(ip) for ip in NETWORK]
    expected = {(ips[i], zone) for zone, step in LISTED.items() for i in range(0, len(ips), step)}
    with DnsLab() as lab:
        for zone, step in LISTED.items():
            lab.set_entries(zone, [*lab.ip_zones[zone], *ips[::step]])
        zones = lists(lab)
        print(
            f"{len(ips)} IPs x {len(zones)} lists = {len(ips) * len(zones)} pairs; "
            f"{len(expected)} listings planted; sbl.spamhaus.org answers 127.255.255.254 to all"
        )
        for label, server in (
            ("via unbound", lab.resolver),
            ("rbldnsd direct", ("127.0.0.1", lab.rbldnsd_port)),
        ):
            rates, retries, wrong, missed = [], [], set(), set()
            for _ in range(args.rounds):
                lab.flush(".")
                elapsed, sent, results = asyncio.run(sweep(server, ips, zones))
                listed = {(r.target, r.zone) for r in results if r.state == "listed"}
                unknown = [
                    r for r in results if r.state == "unknown" and r.zone != "sbl.spamhaus.org"
                ]
                wrong |= listed - expected
                missed |= expected - listed
                queries = len(results) + len(listed)  # A for every pair, TXT for listings
                rates.append(queries / elapsed)
                retries.append(sent - queries)
                if unknown:
                    print(f"  {label}: {len(unknown)} unexpected unknown, e.g. {unknown[0]}")
            print(
                f"{label:15s} median {statistics.median(rates):8.0f} q/s "
                f"(min {min(rates):.0f}, max {max(rates):.0f}); retries/round {statistics.median(retries):.0f}; "
                f"false listed {len(wrong)}; missed {len(missed)}"
            )


if __name__ == "__main__":
    main()
