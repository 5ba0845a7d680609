"""A real Debian postfix on 127.0.25.x:25 with its own CA, serving one SMTP probe scenario per address."""

from __future__ import annotations

import datetime
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.lab.binaries import require

TARPIT_SECONDS = 3


@dataclass(frozen=True, slots=True)
class Scenario:
    """One listener: its loopback address, the MX name on its certificate, and a domain it serves."""

    name: str
    address: str
    mx_host: str
    domain: str
    rcpt: str
    smtpd_options: tuple[str, ...] = ()


def _scenario(n: int, name: str, local: str, *options: str) -> Scenario:
    domain = f"{name}.probe.lab.test"
    return Scenario(name, f"127.0.25.{n}", f"mx.{domain}", domain, f"{local}@{domain}", options)


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        # alice exists; any other local part is 550 5.1.1 User unknown
        _scenario(1, "valid", "alice"),
        # a domain with no mailboxes at all: every recipient is 550 5.1.1
        _scenario(2, "unknown", "bob"),
        # every recipient is 450 4.7.1 greylisted
        _scenario(3, "grey", "alice"),
        # @catchall... in the mailbox table: every local part is accepted
        _scenario(4, "catchall", "alice"),
        # the greeting comes TARPIT_SECONDS late (a restriction that sleeps before the banner)
        _scenario(
            5,
            "tarpit",
            "alice",
            "smtpd_delay_reject=no",
            f"smtpd_client_restrictions=sleep,{TARPIT_SECONDS}",
        ),
        # the MX does not serve its own domain: 554 5.7.1 Relay access denied
        _scenario(6, "relay", "alice"),
        # like valid, but the certificate expired yesterday
        _scenario(
            7,
            "expired",
            "alice",
            "smtpd_tls_cert_file=$config_directory/expired.pem",
            "smtpd_tls_key_file=$config_directory/server.key",
        ),
    )
}

MAILBOXES = "alice@valid.probe.lab.test\nalice@grey.probe.lab.test\n@catchall.probe.lab.test\n"
MAILBOXES += "alice@tarpit.probe.lab.test\nalice@expired.probe.lab.test\n"
GREYLIST = "grey.probe.lab.test 450 4.7.1 Greylisted, please try again later\n"


@dataclass(frozen=True, slots=True)
class PostfixPeer:
    """A running lab postfix: its scenarios and the CA file that signs its certificates."""

    config_dir: Path
    ca_file: Path
    log_file: Path
    scenarios: dict[str, Scenario]

    def log(self) -> str:
        return self.log_file.read_text(errors="replace") if self.log_file.exists() else ""


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _write_pki(directory: Path) -> Path:
    """A CA, a server key, a current certificate for every MX name and an expired one."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("mailtriage lab CA"))
        .issuer_name(_name("mailtriage lab CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.DNSName(s.mx_host) for s in SCENARIOS.values()]

    def server_cert(start: datetime.datetime, end: datetime.datetime) -> x509.Certificate:
        return (
            x509.CertificateBuilder()
            .subject_name(_name(SCENARIOS["valid"].mx_host))
            .issuer_name(ca.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.OID_SERVER_AUTH]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
            )
            .sign(ca_key, hashes.SHA256())
        )

    pem = serialization.Encoding.PEM
    current = server_cert(now - datetime.timedelta(days=1), now + datetime.timedelta(days=20))
    expired = server_cert(now - datetime.timedelta(days=40), now - datetime.timedelta(days=1))
    (directory / "server.pem").write_bytes(current.public_bytes(pem) + ca.public_bytes(pem))
    (directory / "expired.pem").write_bytes(expired.public_bytes(pem) + ca.public_bytes(pem))
    key_file = directory / "server.key"
    key_file.write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    key_file.chmod(0o600)
    ca_file = directory / "ca.pem"
    ca_file.write_bytes(ca.public_bytes(pem))
    return ca_file


def _main_cf(root: Path) -> str:
    domains = " ".join(s.domain for s in SCENARIOS.values() if s.name != "relay")
    return f"""\
compatibility_level = 3.6
queue_directory = {root}/queue
data_directory = {root}/data
mail_owner = postfix
myhostname = mx.probe.lab.test
mydomain = probe.lab.test
mydestination =
mynetworks =
inet_interfaces = loopback-only
inet_protocols = ipv4
maillog_file = {root}/maillog
maillog_file_prefixes = {root}
smtpd_banner = $myhostname ESMTP lab
alias_maps =
alias_database =
local_recipient_maps =
virtual_mailbox_domains = {domains}
virtual_mailbox_maps = texthash:$config_directory/mailboxes
virtual_transport = discard
smtpd_relay_restrictions = reject_unauth_destination
smtpd_recipient_restrictions = check_recipient_access texthash:$config_directory/greylist
smtpd_tls_security_level = may
smtpd_tls_cert_file = $config_directory/server.pem
smtpd_tls_key_file = $config_directory/server.key
smtpd_tls_loglevel = 0
smtpd_error_sleep_time = 0
in_flow_delay = 0
smtpd_soft_error_limit = 100
smtpd_hard_error_limit = 100
biff = no
"""


def _master_cf() -> str:
    lines = []
    for s in SCENARIOS.values():
        options = "".join(f" -o {o}" for o in s.smtpd_options)
        lines.append(f"{s.address}:smtp inet n - n - - smtpd{options}")
    valid = SCENARIOS["valid"].address
    lines += [
        # the valid scenario also answers on the submission ports: 465 with implicit TLS, 587
        f"{valid}:submissions inet n - n - - smtpd -o smtpd_tls_wrappermode=yes",
        f"{valid}:submission inet n - n - - smtpd",
        "cleanup unix n - n - 0 cleanup",
        "rewrite unix - - n - - trivial-rewrite",
        "bounce unix - - n - 0 bounce",
        "defer unix - - n - 0 bounce",
        "trace unix - - n - 0 bounce",
        "proxymap unix - - n - - proxymap",
        "anvil unix - - n - 1 anvil",
        "scache unix - - n - 1 scache",
        "tlsmgr unix - - n 1000? 1 tlsmgr",
        "postlog unix-dgram n - n - 1 postlogd",
    ]
    return "\n".join(lines) + "\n"


def _listening(address: str) -> bool:
    try:
        with socket.create_connection((address, 25), timeout=0.2):
            return True
    except OSError:
        return False


@contextmanager
def running(root: Path) -> Iterator[PostfixPeer]:
    """Start postfix in the foreground under `root`, wait for every listener, stop it after."""
    postfix = require("postfix")
    if os.geteuid() != 0:
        pytest.skip("the postfix lab needs root (postfix insists on its own user and files)")
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o755)  # the postfix user must reach its queue and data directories
    config = root / "etc"
    for d in (config, root / "queue", root / "data"):
        d.mkdir()
    shutil.chown(root / "data", "postfix")
    ca_file = _write_pki(config)
    (config / "main.cf").write_text(_main_cf(root))
    (config / "master.cf").write_text(_master_cf())
    (config / "mailboxes").write_text("".join(f"{m} ok\n" for m in MAILBOXES.split()))
    (config / "greylist").write_text(GREYLIST)
    busy = [s.address for s in SCENARIOS.values() if _listening(s.address)]
    if busy:
        raise RuntimeError(f"port 25 on {', '.join(busy)} is taken (another lab postfix?)")
    env = {**os.environ, "MAIL_CONFIG": str(config)}
    subprocess.run([postfix, "-c", str(config), "check"], check=True, env=env, timeout=60)
    proc = subprocess.Popen(
        [postfix, "-c", str(config), "start-fg"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    peer = PostfixPeer(config, ca_file, root / "maillog", SCENARIOS)
    try:
        deadline = time.monotonic() + 20
        while not all(_listening(s.address) for s in SCENARIOS.values()):
            if proc.poll() is not None or time.monotonic() > deadline:
                err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
                raise RuntimeError(f"postfix did not start: {err}\n{peer.log()}")
            time.sleep(0.1)
        if proc.poll() is not None:
            raise RuntimeError(f"postfix exited at start:\n{peer.log()}")
        yield peer
    finally:
        subprocess.run([postfix, "-c", str(config), "stop"], env=env, timeout=30, check=False)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        if proc.stderr:
            proc.stderr.close()


@pytest.fixture(scope="session")
def postfix_peer() -> Iterator[PostfixPeer]:
    """The lab postfix for the whole session (127.0.25.1-7 port 25; see SCENARIOS).

    Its directory is not under pytest's tmp_path: those are private to root, and postfix's own
    user must be able to reach the queue.
    """
    root = Path(tempfile.mkdtemp(prefix="mailtriage-postfix-"))
    root.chmod(0o755)
    try:
        with running(root / "postfix") as peer:
            yield peer
    finally:
        shutil.rmtree(root, ignore_errors=True)
