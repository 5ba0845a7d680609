"""Turns a probe's Transcript into findings (pure: no I/O), saying when an answer proves nothing."""

from __future__ import annotations

import time
from ipaddress import ip_address

from handlers.netguard import refusal_text
from handlers.reply import Finding, Status
from handlers.smtp_probe.transcript import Answer, Certificate, Transcript
from knowledge.loader import load

SLOW_BANNER = 2.0
"""Seconds after which a greeting counts as slow (a prompt server answers in well under one)."""

EXPIRY_WARN_DAYS = 14

_GREY_WORDS = ("greylist", "graylist", "grey-list", "gray-list", "greylisted", "try again later")
_UNKNOWN_WORDS = ("unknown", "no such", "does not exist", "not exist", "invalid recipient")
_POLICY_WORDS = ("blocked", "blacklist", "blocklist", "spamhaus", "client host", "helo", "reverse")

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


class _Texts:
    """Texts in one language, with the finding's subject at hand."""

    def __init__(self, t: Transcript, lang: str) -> None:
        self.kb, self.lang, self.t = load(), lang, t
        where = f"[{t.address}]:{t.port}" if t.address else f":{t.port}"
        self.subject = f"{t.mx_host} {where}"

    def __call__(self, key: str, **values: object) -> str:
        return self.kb.text(key, self.lang, **values)

    def finding(
        self, status: Status, evidence: str, detail: str, *fix: str, subject: str = ""
    ) -> Finding:
        return Finding("smtp", status, subject or self.subject, evidence, detail, fix)


def rcpt_verdict(answer: Answer) -> str:
    """accepted, greylist, temporary, relay, unknown_user, policy or rejected."""
    text = answer.text.lower()
    if 200 <= answer.code < 300:
        return "accepted"
    if 400 <= answer.code < 500:
        return "greylist" if any(w in text for w in _GREY_WORDS) else "temporary"
    if "relay" in text:
        return "relay"
    if answer.enhanced.startswith("5.1.") or any(w in text for w in _UNKNOWN_WORDS):
        return "unknown_user"
    if answer.enhanced.startswith("5.7.") or any(w in text for w in _POLICY_WORDS):
        return "policy"
    return "rejected"


def judge(t: Transcript, lang: str, now: float | None = None) -> list[Finding]:
    """Findings for what the probe saw; `now` (epoch seconds) dates the certificate."""
    say = _Texts(t, lang)
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
    rcpt = _recipient(t, say)
    if rcpt is not None:
        findings.append(rcpt)
    if t.aborted:
        findings.append(
            say.finding(
                Status.UNKNOWN, t.aborted, say("smtp.aborted", stage=t.stage, error=t.aborted)
            )
        )
    return findings


def _no_session(t: Transcript, say: _Texts) -> Finding:
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


def _banner(t: Transcript, say: _Texts) -> Finding:
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


def _ehlo(t: Transcript, say: _Texts) -> Finding:
    assert t.ehlo is not None
    if t.helo_only:
        return say.finding(
            Status.WARN, str(t.ehlo), say("smtp.ehlo.helo_only"), say("smtp.ehlo.helo_only_fix")
        )
    names = ", ".join(f"{k.upper()} {v}".strip() for k, v in t.extensions.items())
    return say.finding(Status.OK, names, say("smtp.ehlo.ok"))


def _tls(t: Transcript, say: _Texts, now: float) -> Finding | None:
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


def _cert_evidence(cert: Certificate, say: _Texts, days: int | None) -> str:
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


def _recipient(t: Transcript, say: _Texts) -> Finding | None:
    rcpt = t.rcpt
    if rcpt is None:
        return None
    if t.rcpt_not_ascii:
        return say.finding(Status.FAIL, "SMTPUTF8 -", say("smtp.rcpt.not_ascii", rcpt=rcpt))
    if t.mail is None:
        return None
    steps = [f"MAIL FROM:<> -> {t.mail}"]
    if t.mail.code != 250:
        evidence = "; ".join(steps)
        if 400 <= t.mail.code < 500:
            return say.finding(
                Status.UNKNOWN,
                evidence,
                say("smtp.rcpt.temporary", rcpt=rcpt),
                say("smtp.rcpt.retry_fix"),
            )
        return say.finding(
            Status.WARN, evidence, say("smtp.rcpt.null_sender"), say("smtp.rcpt.null_sender_fix")
        )
    if t.rcpt_answer is None:
        return None
    steps.append(f"RCPT TO:<{rcpt}> -> {t.rcpt_answer}")
    if t.decoy_answer is not None:
        steps.append(f"RCPT TO:<{t.decoy}> -> {t.decoy_answer}")
    evidence = "; ".join(steps)
    domain = rcpt.rpartition("@")[2]
    verdict = rcpt_verdict(t.rcpt_answer)
    if verdict == "accepted":
        decoy = rcpt_verdict(t.decoy_answer) if t.decoy_answer is not None else ""
        if decoy == "accepted":
            return say.finding(
                Status.UNKNOWN, evidence, say("smtp.rcpt.catchall", rcpt=rcpt, decoy=t.decoy)
            )
        if decoy in ("unknown_user", "rejected", "relay"):
            return say.finding(Status.OK, evidence, say("smtp.rcpt.ok", rcpt=rcpt))
        return say.finding(Status.OK, evidence, say("smtp.rcpt.accepted", rcpt=rcpt))
    if verdict in ("greylist", "temporary"):
        return say.finding(
            Status.UNKNOWN,
            evidence,
            say(f"smtp.rcpt.{verdict}", rcpt=rcpt),
            say("smtp.rcpt.retry_fix"),
        )
    if verdict == "relay":
        return say.finding(
            Status.FAIL,
            evidence,
            say("smtp.rcpt.relay", rcpt=rcpt, domain=domain),
            say("smtp.rcpt.relay_fix", domain=domain),
        )
    if verdict == "unknown_user":
        return say.finding(
            Status.FAIL,
            evidence,
            say("smtp.rcpt.unknown_user", rcpt=rcpt),
            say("smtp.rcpt.unknown_user_fix"),
        )
    if verdict == "policy":
        return say.finding(Status.UNKNOWN, evidence, say("smtp.rcpt.policy", rcpt=rcpt))
    return say.finding(Status.FAIL, evidence, say("smtp.rcpt.rejected", rcpt=rcpt))
