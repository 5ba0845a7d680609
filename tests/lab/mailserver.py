"""A real Postfix and Dovecot on 127.0.27.x for connection tracks, with their SMTP peer and DNS.

Postfix (own config, queue and `maillog_file`, smtpd on 127.0.27.1:<free port>) relays relay.test to
an aiosmtpd sink on 127.0.27.3 that accepts good@, rejects cs@ with 550 5.1.1, greylists grey@ with
450 and grey421@ with 421; nomx.test is looked up through a tiny DNS server on 127.0.27.53:53 that
answers SERVFAIL (the smtp client runs chrooted in the queue directory, whose etc/resolv.conf names
that server, so no lookup leaves loopback). Dovecot (own config, passwd-file users, POP3 and IMAP on
free ports, `log_path` to a file) takes good and failed logins. Fully separate from the SMTP-probe
lab (tests/lab/postfix_peer.py: 127.0.25.x).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dns.flags
import dns.message
import dns.rcode
import pytest
from aiosmtpd.controller import Controller

from tests.lab.binaries import free_port, require

SMTPD = "127.0.27.1"
SINK = "127.0.27.3"
DNS = "127.0.27.53"
RECIPIENTS = ("good", "cs", "grey", "grey421")
USERS = {"alice@lab.test": "right-password", "cs@lab.test": "cs-password"}


class Sink:
    """The receiving MX: one fixed answer per recipient local part."""

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        local = address.partition("@")[0].lower()
        if local == "cs":
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        if local == "grey":
            return f"450 4.7.1 <{address}>: Recipient address rejected: Greylisted, try again later"
        if local == "grey421":
            return "421 4.7.0 mx.sink.test Service unavailable - try again later (greylist enable)"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        return "250 2.0.0 Ok: queued as SINK"


class _Dns(asyncio.DatagramProtocol):
    """SERVFAIL for anything under nomx.test, NXDOMAIN for everything else."""

    transport: Any = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            query = dns.message.from_wire(data)
        except Exception:
            return
        answer = dns.message.make_response(query)
        answer.flags |= dns.flags.RA
        name = query.question[0].name.to_text().lower() if query.question else ""
        servfail = name.rstrip(".").endswith("nomx.test")
        answer.set_rcode(dns.rcode.SERVFAIL if servfail else dns.rcode.NXDOMAIN)
        self.transport.sendto(answer.to_wire(), addr)


@contextmanager
def dns_server() -> Iterator[str]:
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: dict[str, Any] = {}

    def serve() -> None:
        asyncio.set_event_loop(loop)
        transport, _ = loop.run_until_complete(
            loop.create_datagram_endpoint(_Dns, local_addr=(DNS, 53))
        )
        holder["transport"] = transport
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    ready.wait(10)
    try:
        yield DNS
    finally:
        loop.call_soon_threadsafe(holder["transport"].close)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)


@dataclass(frozen=True, slots=True)
class MailLab:
    smtp_port: int
    pop3_port: int
    imap_port: int
    maillog: Path
    dovecot_log: Path

    def log_text(self) -> str:
        parts = [
            p.read_text(errors="replace") for p in (self.maillog, self.dovecot_log) if p.exists()
        ]
        return "".join(parts)


def _main_cf(root: Path, sink_port: int) -> str:
    relay = ", ".join(f"{r}@relay.test=ok" for r in RECIPIENTS)
    return f"""\
compatibility_level = 3.6
queue_directory = {root}/queue
data_directory = {root}/data
mail_owner = postfix
myhostname = mx.track.lab.test
mydomain = track.lab.test
myorigin = $myhostname
mydestination =
mynetworks = 127.0.0.0/8
inet_interfaces = loopback-only
inet_protocols = ipv4
smtp_bind_address = {SMTPD}
maillog_file = {root}/maillog
maillog_file_prefixes = {root}
alias_maps =
alias_database =
local_recipient_maps =
relay_domains = relay.test nomx.test
relay_recipient_maps = inline:{{ {relay}, @nomx.test=ok }}
transport_maps = inline:{{ relay.test=smtp:[{SINK}]:{sink_port} }}
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
fast_flush_domains =
debug_peer_list = {SINK}
smtp_connect_timeout = 5s
smtp_helo_timeout = 10s
queue_run_delay = 300s
minimal_backoff_time = 300s
maximal_backoff_time = 600s
biff = no
"""


_MASTER_CF = """\
{smtpd}:{port} inet n - n - - smtpd
pickup fifo n - n 60 1 pickup
cleanup unix n - n - 0 cleanup
qmgr unix n - n 300 1 qmgr
rewrite unix - - n - - trivial-rewrite
bounce unix - - n - 0 bounce
defer unix - - n - 0 bounce
trace unix - - n - 0 bounce
verify unix - - n - 1 verify
smtp unix - - y - - smtp
relay unix - - y - - smtp
error unix - - n - - error
retry unix - - n - - error
proxymap unix - - n - - proxymap
anvil unix - - n - 1 anvil
scache unix - - n - 1 scache
tlsmgr unix - - n 1000? 1 tlsmgr
postlog unix-dgram n - n - 1 postlogd
"""


def _listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


def _wait(host: str, port: int, proc: subprocess.Popen[bytes], what: str, log: Path) -> None:
    deadline = time.monotonic() + 20
    while not _listening(host, port):
        if proc.poll() is not None or time.monotonic() > deadline:
            err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            text = log.read_text(errors="replace") if log.exists() else ""
            raise RuntimeError(f"{what} did not start: {err}\n{text[-3000:]}")
        time.sleep(0.1)


@contextmanager
def postfix(root: Path, sink_port: int) -> Iterator[tuple[int, Path]]:
    binary = require("postfix")
    config, queue = root / "etc", root / "queue"
    for d in (config, queue / "etc", root / "data"):
        d.mkdir(parents=True)
    shutil.chown(root / "data", "postfix")
    # the chrooted smtp client resolves through the lab DNS only
    (queue / "etc" / "resolv.conf").write_text(f"nameserver {DNS}\noptions timeout:1 attempts:1\n")
    for name in ("services", "hosts", "nsswitch.conf", "localtime", "host.conf"):
        if Path("/etc", name).exists():
            shutil.copy(Path("/etc", name), queue / "etc" / name)
    port = free_port()
    (config / "main.cf").write_text(_main_cf(root, sink_port))
    (config / "master.cf").write_text(_MASTER_CF.format(smtpd=SMTPD, port=port))
    env = {**os.environ, "MAIL_CONFIG": str(config)}
    subprocess.run([binary, "-c", str(config), "check"], check=True, env=env, timeout=60)
    proc = subprocess.Popen(
        [binary, "-c", str(config), "start-fg"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait(SMTPD, port, proc, "postfix", root / "maillog")
        yield port, root / "maillog"
    finally:
        subprocess.run([binary, "-c", str(config), "stop"], env=env, timeout=30, check=False)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        if proc.stderr:
            proc.stderr.close()


_DOVECOT_CONF = """\
protocols = pop3 imap
listen = {host}
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
auth_verbose = yes
default_login_user = dovenull
default_internal_user = dovecot
mail_location = maildir:{root}/mail/%u
first_valid_uid = 0
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={root}/mail/%u
}}
service pop3-login {{
  inet_listener pop3 {{
    address = {host}
    port = {pop3}
  }}
}}
service imap-login {{
  inet_listener imap {{
    address = {host}
    port = {imap}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


@contextmanager
def dovecot(root: Path) -> Iterator[tuple[int, int, Path]]:
    binary = require("dovecot")
    for d in ("run", "state", "mail"):
        (root / d).mkdir(parents=True)
    shutil.chown(root / "mail", "dovecot", "dovecot")
    (root / "users").write_text("".join(f"{u}:{{PLAIN}}{p}\n" for u, p in USERS.items()))
    pop3, imap = free_port(), free_port()
    conf = root / "dovecot.conf"
    conf.write_text(_DOVECOT_CONF.format(host=SMTPD, root=root, pop3=pop3, imap=imap))
    proc = subprocess.Popen(
        [binary, "-F", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        _wait(SMTPD, pop3, proc, "dovecot", root / "dovecot.log")
        _wait(SMTPD, imap, proc, "dovecot", root / "dovecot.log")
        yield pop3, imap, root / "dovecot.log"
    finally:
        subprocess.run(
            [binary, "-c", str(conf), "stop"], timeout=30, check=False, capture_output=True
        )
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        if proc.stderr:
            proc.stderr.close()


@contextmanager
def running() -> Iterator[MailLab]:
    """Sink, DNS, Postfix and Dovecot, started in a fresh directory and stopped after."""
    require("postfix")
    require("dovecot")
    if os.geteuid() != 0:
        pytest.skip("the mail lab needs root (postfix and dovecot insist on their own users)")
    base = Path(tempfile.mkdtemp(prefix="mailtriage-track-"))
    base.chmod(0o755)
    sink_port = free_port()
    controller = Controller(Sink(), hostname=SINK, port=sink_port, server_hostname="mx.sink.test")
    controller.start()
    try:
        with (
            dns_server(),
            postfix(base / "postfix", sink_port) as (smtp_port, maillog),
            dovecot(base / "dovecot") as (pop3, imap, dovecot_log),
        ):
            yield MailLab(smtp_port, pop3, imap, maillog, dovecot_log)
    finally:
        controller.stop()
        shutil.rmtree(base, ignore_errors=True)
