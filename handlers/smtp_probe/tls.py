"""The probe's TLS side: one context per CA setting, and the facts of a verified certificate."""

from __future__ import annotations

import functools
import ssl

from handlers.request import HandlerSettings
from handlers.smtp_probe.transcript import Certificate


def tls_context(settings: HandlerSettings, *, verify: bool) -> ssl.SSLContext:
    """System CAs plus settings.probe_tls_ca; without `verify`, any certificate is accepted."""
    return _context(settings.probe_tls_ca, verify)


@functools.cache
def _context(ca_file: str | None, verify: bool) -> ssl.SSLContext:
    """Built once per process: loading the system CA store takes tens of milliseconds."""
    context = ssl.create_default_context()
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _name(rdns: object) -> str:
    """`CN=x, O=y` from getpeercert()'s nested tuples."""
    parts = []
    if isinstance(rdns, tuple):
        for rdn in rdns:
            for key, value in rdn:
                short = {"commonName": "CN", "organizationName": "O", "countryName": "C"}
                parts.append(f"{short.get(key, key)}={value}")
    return ", ".join(parts)


def certificate(ssl_object: ssl.SSLObject | None) -> Certificate:
    """The facts of a verified TLS session."""
    if ssl_object is None:
        return Certificate(version="", verified=False, error="no TLS session")
    peer = ssl_object.getpeercert() or {}
    not_after = peer.get("notAfter")
    san = peer.get("subjectAltName", ())
    names = [p[1] for p in san if isinstance(p, tuple) and p[0] in ("DNS", "IP Address")]
    return Certificate(
        version=ssl_object.version() or "",
        verified=True,
        subject=_name(peer.get("subject")),
        issuer=_name(peer.get("issuer")),
        names=tuple(str(n) for n in names),
        not_after=float(ssl.cert_time_to_seconds(str(not_after))) if not_after else None,
    )
