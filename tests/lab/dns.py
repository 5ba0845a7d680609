"""The DNS lab: rbldnsd (blocklists), knot (lab.test and reverse zones) and unbound in front.

Use the session fixture `dns_lab` (import it into a test module or conftest) or, from a script,
`with DnsLab() as lab: ...`. Point the bot at `lab.resolver` (HandlerSettings(resolvers=(lab.resolver,))).
Everything lives in one temporary directory; the servers bind free ports on 127.0.0.1 and stop at
teardown. Only loopback is ever queried: unbound forwards every other name to knot (REFUSED).

Blocklists (rbldnsd, real zone names so the knowledge base"s meanings apply; data in dns_data.py):
  zen.spamhaus.org   127.0.0.2 -> 127.0.0.2 + .4 + .10 (several codes at once); 127.0.1.9 -> .4 (XBL);
                     127.0.1.10 -> .10 + .4; IPv6: ::ffff:7f00:2 and 2001:db8:bad::/48 -> .2
  sbl.spamhaus.org   answers 127.255.255.254 ("public resolver") to everything, test points included
  xbl, pbl.spamhaus.org, b.barracudacentral.org (also 127.0.1.9), bl.spamcop.net,
  dnsbl-{1,2,3}.uceprotect.net, psbl.surriel.com, {bl,z}.mailspike.net,
  {bl,backscatter}.spameatingmonkey.net, ips.backscatterer.org, cbl.abuseat.org,
  bl1..bl4.dnsbl.lab.test (generic)         only the RFC 5782 test point 127.0.0.2
  everything.dnsbl.lab.test                 lists every address (a broken list: fails health)
  list.dnswl.org     allowlist: 127.0.0.2 -> 127.0.10.0, 127.0.1.1 -> 127.0.3.2, 127.0.1.9 -> 127.0.0.255
  rep.mailspike.net  reputation: 127.0.0.2 -> .10, 127.0.1.1 -> .18 (H3, good), 127.0.1.9 -> .11 (L4)
  dbl.spamhaus.org   test, dbltest.com, listed.lab.test -> 127.0.1.2; phish.lab.test -> 127.0.1.4
  multi.uribl.com    test, listed.lab.test -> 127.0.0.2; refused.lab.test -> 127.0.0.1 (refusal);
                     bulk.lab.test -> 127.0.0.6 (black + grey)
  multi.surbl.org    test -> .80; phish -> .8; malware -> .80; throwaway -> .4 (DM only); oddbits -> .3;
                     cracked -> .136; parked -> 198.51.100.7 (all under lab.test)
  uribl.spameatingmonkey.net   test point
  Any other zone (e.g. dead.dnsbl.test) gets SERVFAIL: a dead list.
  BENCH_IP_ZONES: the 20 IP blocklists above, without everything.dnsbl.lab.test, dnswl and rep.
  `lab.set_entries(zone, lines)` replaces a list"s entries (rbldnsd syntax `ip :A:TXT`) and returns
  once rbldnsd serves them and unbound"s cache for the zone is flushed.

Domains (knot, zone lab.test; mail hosts at 127.0.x.y, reverse zone 127.in-addr.arpa):
  good           MX 10 mx1.good (127.0.1.1), MX 20 mx2.good (127.0.1.2), PTRs match; SPF split in two
                 TXT strings; DMARC p=reject + rua; _mta-sts (mta-sts.good -> 127.0.0.1); TLS-RPT;
                 DKIM default._domainkey (key) and selector1._domainkey (revoked, empty p=)
  bench          like good (MX mx1.good + mx2.good, SPF with an include, DMARC, TLS-RPT, DKIM
                 default) but no MTA-STS: a DNS-only domain for the benchmarks
  nullmx         MX 0 . (RFC 7505)          cname-mx   MX -> alias.lab.test CNAME mx1.good
  ip-mx          MX 10 127.0.1.1. (IP literal as a name)   noaddr-mx  MX -> ghost (no address)
  nomx           no MX, A 127.0.1.5 (implicit MX)          nothere    NXDOMAIN
  listed         MX mx.listed (127.0.1.9: zen XBL, barracuda), domain on dbl and uribl, SPF ?all
  badptr         MX mx.badptr (127.0.1.3) whose PTR names elsewhere.lab.test (no FCrDNS)
  toomany (12 SPF lookups), void (3 void lookups), twospf (2 SPF records), badspf (syntax), plusall
  dmarc-none (p=none), dmarc-pct (pct=), dmarc-two (2 records), dmarc-bad (p=maybe)
  lame           delegated to 127.0.9.8:53 where nobody listens (timeout, later SERVFAIL)
  slow           delegated to 127.0.9.9:53, a socket that never answers (timeout)
  SMTP probe scenarios (helper H4): {valid,unknown,grey,catchall,tarpit,relay,expired}.probe.lab.test,
                 each MX 10 mx.<scenario>.probe.lab.test at 127.0.25.1 .. 127.0.25.7 (that order),
                 with matching PTRs and SPF "mx -all".

DMARC policy discovery by the DNS Tree Walk (RFC 9989; knot zones co.uk, suffix.test, _dmarc.test):
  co.uk          _dmarc.co.uk psd=y p=reject sp=none np=quarantine (a Public Suffix Domain record);
                 uk itself is not served, so _dmarc.uk fails (walks under co.uk stop before it)
  example.co.uk  p=reject sp=quarantine; mail.example, a.b.c.d.e.example (8 labels) have none
  l10.l9.l8.l7.l6.l5.l4.example.co.uk  10 labels; psd=n records at l8... (skipped by the jump to
                 the last 7 labels) and at l7... (p=none, the one that applies)
  nodmarc.co.uk, sub.nodmarc.co.uk  exist, no record of their own; ghost.co.uk does not exist
  suffix.test    p=none without psd=y; charity.suffix.test p=reject (shop.charity below it);
                 club.suffix.test p=reject sp=quarantine psd=n (shop.club below it)
  _dmarc.test    NODATA: walks from lab.test names end there
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

import dns.message
import dns.query
import dns.rcode
import pytest

from tests.lab import dns_data
from tests.lab.binaries import free_port, in_ci, require

SOA = "$SOA 1 ns.lab.test. hostmaster.lab.test. {serial} 600 300 86400 1"
DEFAULT_VALUE = ":127.0.0.2:Listed by the lab, see https://lab.test/lookup?ip=$"


class DnsLab:
    """rbldnsd + knotd + unbound on free loopback ports in a temporary directory."""

    def __init__(self, extra_listen: tuple[str, int] | None = None) -> None:
        self.extra_listen = extra_listen  # e.g. ("127.0.53.1", 53) for tools without a port option
        self.dir = Path(tempfile.mkdtemp(prefix="mailtriage-dnslab-"))
        self.dir.chmod(0o755)  # rbldnsd and knot read their files after dropping to their users
        self.rbldnsd_port = free_port(socket.SOCK_DGRAM)
        self.knot_port = free_port(socket.SOCK_DGRAM)
        self.unbound_port = free_port(socket.SOCK_DGRAM)
        self.ip_zones = dict(dns_data.IP_ZONES)
        self.domain_zones = dict(dns_data.DOMAIN_ZONES)
        self.bench_ip_zones = dns_data.BENCH_IP_ZONES
        self._procs: list[subprocess.Popen[bytes]] = []
        self._silent: list[socket.socket] = []
        self._serial = 1

    @property
    def resolver(self) -> tuple[str, int]:
        return ("127.0.0.1", self.unbound_port)

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> DnsLab:
        try:
            self._start_silent_server()
            self._start_rbldnsd()
            self._start_knot()
            self._start_unbound()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for proc in reversed(self._procs):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(5)
        self._procs.clear()
        for s in self._silent:
            s.close()
        self._silent.clear()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> DnsLab:
        return self.start()

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _spawn(self, name: str, argv: list[str]) -> None:
        log = (self.dir / f"{name}.log").open("wb")
        self._procs.append(subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT))

    def _wait_answer(self, name: str, rdtype: str, port: int, what: str) -> dns.message.Message:
        deadline = time.monotonic() + 10
        while True:
            for proc in self._procs:
                if proc.poll() is not None:
                    raise RuntimeError(f"{what} exited: {self._logs()}")
            try:
                q = dns.message.make_query(name, rdtype)
                r = dns.query.udp(q, "127.0.0.1", port=port, timeout=0.5)
                if r.rcode() in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
                    return r
            except (dns.exception.Timeout, OSError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not answer {name}/{rdtype}: {self._logs()}")
            time.sleep(0.05)

    def _logs(self) -> str:
        return " | ".join(
            f"{p.name}: {p.read_text(errors='replace')[:1500]}" for p in self.dir.glob("*.log")
        )

    # --- servers -------------------------------------------------------------------------------

    def _start_silent_server(self) -> None:
        """A UDP+TCP listener at 127.0.9.9:53 that never answers: the "slow" delegation."""
        for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
            s = socket.socket(socket.AF_INET, kind)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            try:
                s.bind(("127.0.9.9", 53))
            except OSError:  # not root, or another lab holds it: the query still fails, sooner
                s.close()
                continue
            if kind == socket.SOCK_STREAM:
                s.listen(16)
            self._silent.append(s)

    def _zone_files(self, zone: str) -> tuple[Path, Path | None]:
        rbl = self.dir / "rbl"
        return rbl / f"{zone}.v4", (rbl / f"{zone}.v6" if zone in self.ip_zones else None)

    def _write_zone(self, zone: str, lines: list[str]) -> None:
        v4, v6 = self._zone_files(zone)
        self._serial += 1
        entries_v6 = [ln for ln in lines if ":" in ln.split(" ", 1)[0]]
        entries_v4 = [ln for ln in lines if ln not in entries_v6]
        if v6 is not None:  # written first: the v4 file"s SOA serial tells when both are served
            v6.write_text("\n".join([DEFAULT_VALUE, *entries_v6, ""]))
            os.utime(v6, (1_000_000_000 + self._serial,) * 2)
        v4.write_text("\n".join([SOA.format(serial=self._serial), DEFAULT_VALUE, *entries_v4, ""]))
        os.utime(v4, (1_000_000_000 + self._serial,) * 2)
        for path in (v4, v6):
            if path is not None:
                path.chmod(0o644)

    def _start_rbldnsd(self) -> None:
        (self.dir / "rbl").mkdir(mode=0o755)
        specs = []
        for zone, lines in self.ip_zones.items():
            self._write_zone(zone, lines)
            specs += [f"{zone}:ip4set:{zone}.v4", f"{zone}:ip6trie:{zone}.v6"]
        for zone, lines in self.domain_zones.items():
            self._write_zone(zone, lines)
            specs.append(f"{zone}:dnset:{zone}.v4")
        argv = [require("rbldnsd"), "-n", "-u", "rbldns", "-b"]
        argv += [f"127.0.0.1/{self.rbldnsd_port}", "-w", str(self.dir / "rbl"), "-c", "1"]
        argv += ["-t", "1", "-e", "-a", *specs]
        self._spawn("rbldnsd", argv)
        self._wait_answer("2.0.0.127.zen.spamhaus.org", "A", self.rbldnsd_port, "rbldnsd")

    def _start_knot(self) -> None:
        zones = self.dir / "knot"
        zones.mkdir(mode=0o755)
        for name, text in dns_data.KNOT_ZONES.items():
            (zones / f"{name}.zone").write_text(text)
        conf = self.dir / "knot.conf"
        zone_lines = "".join(f"  - domain: {name}\n" for name in dns_data.KNOT_ZONES)
        conf.write_text(
            "server:\n"
            f"  rundir: {zones}\n"
            f"  listen: 127.0.0.1@{self.knot_port}\n"
            "  user: knot:knot\n"
            "database:\n"
            f"  storage: {zones}\n"
            "log:\n  - target: stderr\n    any: warning\n"
            "template:\n  - id: default\n"
            f'    storage: {zones}\n    file: "%s.zone"\n'
            "    zonefile-sync: -1\n    journal-content: none\n"
            "zone:\n" + zone_lines
        )
        shutil.chown(zones, "knot", "knot")
        self._spawn("knotd", [require("knotd"), "-c", str(conf)])
        for name in dns_data.KNOT_ZONES:
            self._wait_answer(name, "SOA", self.knot_port, "knotd")

    def _unbound_conf(self) -> str:
        knot, rbl = f"127.0.0.1@{self.knot_port}", f"127.0.0.1@{self.rbldnsd_port}"
        stubs = [(name, knot) for name in dns_data.KNOT_ZONES]
        stubs += [(z, rbl) for z in [*self.ip_zones, *self.domain_zones]]
        text = (
            "server:\n"
            f"  interface: 127.0.0.1\n  port: {self.unbound_port}\n"
            + (
                f"  interface: {self.extra_listen[0]}@{self.extra_listen[1]}\n"
                if self.extra_listen
                else ""
            )
            + '  do-ip6: no\n  do-daemonize: no\n  username: ""\n  chroot: ""\n'
            f"  directory: {self.dir}\n  pidfile: {self.dir / 'unbound.pid'}\n"
            "  use-syslog: no\n  verbosity: 0\n  num-threads: 2\n  so-reuseport: yes\n  minimal-responses: yes\n  udp-connect: no\n"
            "  do-not-query-localhost: no\n  access-control: 127.0.0.0/8 allow\n"
            "  module-config: iterator\n  qname-minimisation: no\n"
            "  local-zone: test. nodefault\n  local-zone: 127.in-addr.arpa. nodefault\n"
            "  outgoing-range: 8192\n  num-queries-per-thread: 4096\n"
            "  so-rcvbuf: 4m\n  so-sndbuf: 4m\n"
            "  cache-max-negative-ttl: 1\n  infra-host-ttl: 2\n"
            "  unwanted-reply-threshold: 0\n  jostle-timeout: 1000\n"
            "remote-control:\n  control-enable: yes\n"
            f"  control-interface: {self.dir / 'unbound.ctl'}\n  control-use-cert: no\n"
            f"forward-zone:\n  name: .\n  forward-addr: {knot}\n"
        )
        for name, addr in stubs:
            text += f"stub-zone:\n  name: {name}\n  stub-addr: {addr}\n"
        return text

    def _start_unbound(self) -> None:
        conf = self.dir / "unbound.conf"
        conf.write_text(self._unbound_conf())
        self._spawn("unbound", [require("unbound"), "-d", "-c", str(conf)])
        self._wait_answer("good.lab.test", "MX", self.unbound_port, "unbound")

    # --- changing blocklists -------------------------------------------------------------------

    def set_entries(self, zone: str, lines: list[str]) -> None:
        """Replace `zone`"s entries (rbldnsd lines) and return once unbound answers with them."""
        if zone not in self.ip_zones and zone not in self.domain_zones:
            raise KeyError(f"{zone} is not a lab blocklist")
        (self.ip_zones if zone in self.ip_zones else self.domain_zones)[zone] = list(lines)
        self._write_zone(zone, lines)
        deadline = time.monotonic() + 10
        while self._served_serial(zone) != self._serial:
            if time.monotonic() > deadline:
                raise RuntimeError(f"rbldnsd did not reload {zone}: {self._logs()}")
            time.sleep(0.1)
        self.flush(zone)

    def _served_serial(self, zone: str) -> int | None:
        with contextlib.suppress(dns.exception.Timeout, OSError):
            q = dns.message.make_query(zone, "SOA")
            r = dns.query.udp(q, "127.0.0.1", port=self.rbldnsd_port, timeout=0.5)
            for rrset in r.answer:
                for rr in rrset:
                    return int(rr.serial)
        return None

    def flush(self, zone: str) -> None:
        """Drop everything unbound cached under `zone`."""
        ctl = [require("unbound-control"), "-c", str(self.dir / "unbound.conf")]
        subprocess.run([*ctl, "flush_zone", zone], check=True, capture_output=True, timeout=10)
        subprocess.run([*ctl, "flush_requestlist"], check=True, capture_output=True, timeout=10)


@pytest.fixture(scope="session")
def dns_lab() -> Iterator[DnsLab]:
    """The DNS lab, started once per test session."""
    for name in ("rbldnsd", "knotd", "unbound", "unbound-control"):
        require(name)
    if os.geteuid() != 0:  # rbldnsd and knotd start as root and drop to their own users
        message = "the DNS lab needs root (scripts/test runs as root)"
        if in_ci():
            pytest.fail(message + " -- CI=true, so this is a failure, not a skip", pytrace=False)
        pytest.skip(message)
    with DnsLab() as lab:
        yield lab
