"""The MTA-STS policy fetched over real HTTPS from a loopback server with the test's own CA."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import ipaddress
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from handlers.mailcheck import check
from handlers.reply import Status
from handlers.request import HandlerSettings
from tests.lab.dns import DnsLab

pytestmark = pytest.mark.lab

GOOD_POLICY = "version: STSv1\nmode: enforce\nmx: *.good.lab.test\nmax_age: 604800\n"
SHORT_POLICY = "version: STSv1\nmode: enforce\nmx: mx1.good.lab.test\nmax_age: 604800\n"


def _cert(
    subject: str,
    issuer: x509.Name,
    key: ec.EllipticCurvePrivateKey,
    signer: ec.EllipticCurvePrivateKey,
    ca: bool,
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(subject)]), critical=False
        )
    return builder.sign(signer, hashes.SHA256())


def write_pki(directory: Path, server_name: str) -> tuple[Path, Path, Path]:
    """A CA and a server certificate for `server_name`: (ca.pem, cert.pem, key.pem)."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mailtriage test CA")])
    ca = _cert("mailtriage test CA", ca_name, ca_key, ca_key, ca=True)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _cert(server_name, ca_name, key, ca_key, ca=False)
    paths = directory / "ca.pem", directory / "cert.pem", directory / "key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


class PolicyServer:
    """An HTTPS server on 127.0.0.1 answering every GET with `body` (the policy)."""

    def __init__(self, body: str) -> None:
        self.body = body
        self.hosts: list[str] = []

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        for line in head.decode().split("\r\n"):
            if line.lower().startswith("host:"):
                self.hosts.append(line.split(":", 1)[1].strip())
        payload = self.body.encode()
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n"
            + f"Content-Length: {len(payload)}\r\n\r\n".encode()
            + payload
        )
        await writer.drain()
        writer.close()


async def start(
    tmp_path: Path, server_name: str, body: str
) -> tuple[asyncio.Server, PolicyServer, Path]:
    ca, cert, key = write_pki(tmp_path, server_name)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    policy = PolicyServer(body)
    server = await asyncio.start_server(policy.serve, "127.0.0.1", 0, ssl=context)
    return server, policy, ca


@pytest.fixture
def base(dns_lab: DnsLab) -> HandlerSettings:
    return HandlerSettings(
        resolvers=(dns_lab.resolver,),
        dns_timeout=2.0,
        dnsbl_zones=("zen.spamhaus.org",),
        probe_allow_networks=(ipaddress.ip_network("127.0.0.0/8"),),
    )


@pytest.fixture
async def https(tmp_path: Path) -> AsyncIterator[tuple[asyncio.Server, PolicyServer, Path]]:
    server, policy, ca = await start(tmp_path, "mta-sts.good.lab.test", GOOD_POLICY)
    yield server, policy, ca
    server.close()
    await server.wait_closed()


def settings_for(base: HandlerSettings, server: asyncio.Server, ca: Path) -> HandlerSettings:
    port = server.sockets[0].getsockname()[1]
    return dataclasses.replace(base, mta_sts_port=port, probe_tls_ca=str(ca))


async def test_a_policy_covering_every_mx_is_ok(
    base: HandlerSettings, https: tuple[asyncio.Server, PolicyServer, Path]
) -> None:
    server, policy, ca = https
    result = await check("good.lab.test", settings_for(base, server, ca), lang="en")
    [sts] = [f for f in result.findings if f.check == "mta_sts"]
    assert sts.status == Status.OK and "enforce" in sts.detail
    assert policy.hosts == ["mta-sts.good.lab.test"]


async def test_a_policy_missing_an_mx_fails(
    base: HandlerSettings, https: tuple[asyncio.Server, PolicyServer, Path]
) -> None:
    server, policy, ca = https
    policy.body = SHORT_POLICY
    result = await check("good.lab.test", settings_for(base, server, ca), lang="en")
    [sts] = [f for f in result.findings if f.check == "mta_sts"]
    assert sts.status == Status.FAIL and "mx2.good.lab.test" in sts.detail


async def test_a_certificate_for_another_name_means_no_policy(
    base: HandlerSettings, tmp_path: Path
) -> None:
    server, _, ca = await start(tmp_path, "www.elsewhere.test", GOOD_POLICY)
    try:
        result = await check("good.lab.test", settings_for(base, server, ca), lang="en")
    finally:
        server.close()
        await server.wait_closed()
    [sts] = [f for f in result.findings if f.check == "mta_sts"]
    assert sts.status == Status.FAIL and "cannot be fetched" in sts.detail


async def test_a_policy_host_on_a_private_address_is_not_contacted(
    base: HandlerSettings,
) -> None:
    result = await check(
        "good.lab.test", dataclasses.replace(base, probe_allow_networks=()), lang="en"
    )
    [sts] = [f for f in result.findings if f.check == "mta_sts"]
    assert sts.status == Status.UNKNOWN and "loopback" in sts.evidence


async def test_an_oversized_policy_is_not_read_to_the_end(
    base: HandlerSettings, https: tuple[asyncio.Server, PolicyServer, Path]
) -> None:
    server, policy, ca = https
    policy.body = GOOD_POLICY + "# padding\n" * 10_000
    result = await check("good.lab.test", settings_for(base, server, ca), lang="en")
    [sts] = [f for f in result.findings if f.check == "mta_sts"]
    assert sts.status == Status.FAIL and "64 KiB" in sts.detail
