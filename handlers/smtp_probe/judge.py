"""Turns a probe's Transcript into findings (pure: no I/O), saying when an answer proves nothing."""

from __future__ import annotations

import time
from ipaddress import ip_address

from handlers.netguard import refusal_text
from handlers.reply import Finding, Status
from handlers.smtp_probe.recipient import recipient_finding
from handlers.smtp_probe.say import Say
from handlers.smtp_probe.transcript import Certificate, Transcript

SLOW_BANNER = 2.0
"""Seconds after which a greeting counts as slow (a prompt server answers in well under one)."""

EXPIRY_WARN_DAYS = 14

# OpenSSL X509_V_ERR_* codes worth their own explanation; everything else shows OpenSSL's words.
_CERT_ERRORS = {
    10: "smtp.cert.expired",
    9: "smtp.cert.not_yet_valid",
    18: "smtp.cert.self_signed",
    19: "smtp.cert.untrusted",
    20: "smtp.cert.untrusted",
    21: "smtp.cert.untrusted",
    2: "smtp.cert.untrusted",
    62: "smtp.cert.hostname",
}


def judge(t: Transcript, lang: str, now: float | None = None) -> list[Finding]:
    """Findings for what the probe saw; `now` (epoch seconds) dates the certificate."""
    say = Say(t, lang)
    if t.address is None:
        return [_no_session(t, say)]
    findings = [_banner(t, say)]
    if t.banner is None or t.banner.code != 220:
        return findings
    if t.ehlo is not None:
        findings.append(_ehlo(t, say))
    tls = _tls(t, say, time.time() if now is None else now)
    if tls is not None:
        findings.append(tls)
    rcpt = recipient_finding(t, say)
    if rcpt is not None:
        findings.append(rcpt)
    if t.aborted:
        findings.append(
            say.finding(
                Status.UNKNOWN, t.aborted, say("smtp.aborted", stage=t.stage, error=t.aborted)
            )
        )
    return findings


def _no_session(t: Transcript, say: Say) -> Finding:
    if not t.failed:
        why = " ".join(refusal_text(ip_address(a), r, say.lang) for a, r in t.refused)
        return say.finding(
            Status.UNKNOWN,
            ", ".join(a for a, _ in t.refused),
            say("smtp.not_probed", host=t.mx_host, why=why),
        )
    tried = "; ".join(
        f"{a.address}:{t.port} "
        + (say(f"smtp.connect.{a.kind}", seconds=f"{t.timeout:g}", error=a.error))
        for a in t.failed
    )
    return say.finding(
        Status.UNKNOWN,
        say("smtp.evidence.address", tried=tried),
        say("smtp.connect.failed", host=t.mx_host, port=t.port),
        say("smtp.connect.fix", address=t.failed[0].address, port=t.port),
        subject=f"{t.mx_host} :{t.port}",
    )


def _banner(t: Transcript, say: Say) -> Finding:
    if t.banner_timeout:
        return say.finding(
            Status.UNKNOWN,
            say("smtp.evidence.no_greeting", seconds=f"{t.timeout:g}"),
            say("smtp.banner.tarpit", seconds=f"{t.timeout:g}"),
        )
    if t.banner is None and t.tls_error:  # implicit TLS (port 465) failed before any banner
        return say.finding(
            Status.UNKNOWN, t.tls_error, say("smtp.tls.failed"), say("smtp.tls.failed_fix")
        )
    if t.banner is None:
        return say.finding(
            Status.UNKNOWN, t.aborted, say("smtp.aborted", stage=t.stage, error=t.aborted)
        )
    seconds = t.banner_seconds or 0.0
    evidence = f"{t.banner} ({seconds:.2f} s)"
    if t.banner.code != 220:
        return say.finding(Status.UNKNOWN, evidence, say("smtp.banner.refused"))
    if seconds > SLOW_BANNER:
        return say.finding(
            Status.WARN,
            evidence,
            say("smtp.banner.slow", seconds=f"{seconds:.1f}"),
            say("smtp.banner.slow_fix"),
        )
    return say.finding(Status.OK, evidence, say("smtp.banner.ok"))


def _ehlo(t: Transcript, say: Say) -> Finding:
    assert t.ehlo is not None
    if t.helo_only:
        return say.finding(
            Status.WARN, str(t.ehlo), say("smtp.ehlo.helo_only"), say("smtp.ehlo.helo_only_fix")
        )
    names = ", ".join(f"{k.upper()} {v}".strip() for k, v in t.extensions.items())
    return say.finding(Status.OK, names, say("smtp.ehlo.ok"))


def _tls(t: Transcript, say: Say, now: float) -> Finding | None:
    host = t.mx_host
    if t.tls is None:
        if t.tls_error:
            return say.finding(
                Status.WARN, t.tls_error, say("smtp.tls.failed"), say("smtp.tls.failed_fix")
            )
        if t.port == 465 or t.helo_only or t.starttls_offered:
            return None
        return say.finding(
            Status.WARN, "STARTTLS -", say("smtp.tls.none"), say("smtp.tls.none_fix", host=host)
        )
    cert = t.tls
    if not cert.verified:
        key = _CERT_ERRORS.get(cert.error_code, "smtp.cert.other")
        why = say(key, host=host, error=cert.error)
        return say.finding(
            Status.WARN,
            f"{cert.error} (X509 error {cert.error_code})",
            say("smtp.tls.invalid", why=why),
            say("smtp.tls.invalid_fix", host=host),
        )
    days = int((cert.not_after - now) // 86400) if cert.not_after is not None else None
    evidence = _cert_evidence(cert, say, days)
    if days is not None and days < EXPIRY_WARN_DAYS:
        return say.finding(
            Status.WARN, evidence, say("smtp.tls.expiring", days=days), say("smtp.tls.expiring_fix")
        )
    return say.finding(Status.OK, evidence, say("smtp.tls.ok", host=host))


def _cert_evidence(cert: Certificate, say: Say, days: int | None) -> str:
    expires = (
        time.strftime("%Y-%m-%d", time.gmtime(cert.not_after))
        if cert.not_after is not None
        else "?"
    )
    return say(
        "smtp.tls.evidence",
        version=cert.version,
        subject=cert.subject or "-",
        issuer=cert.issuer or "-",
        names=", ".join(cert.names) or "-",
        expires=expires,
        days=days if days is not None else "?",
    )
