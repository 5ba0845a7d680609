"""A BounceReport as a Reply: summary first, one section per recipient, fixes in the user's language."""

from __future__ import annotations

from typing import Any

from handlers.bounce.classify import by_text
from handlers.bounce.records import BounceReport, Recipient
from handlers.bounce.report import ERROR_BINARY, ERROR_EMPTY, build_report
from handlers.errors import UsageError
from handlers.reply import Finding, Reply, Section, Status
from handlers.request import Request
from knowledge.loader import KnowledgeBase, load

MAX_SECTIONS = 20
_KIND_STATUS = {
    "bounce": Status.FAIL,
    "delay": Status.WARN,
    "delivered": Status.OK,
    "vacation": Status.INFO,
    "feedback": Status.WARN,
}


def contract_json(r: Recipient) -> dict[str, Any]:
    """The recipient fields of `mailtriage explain --json` (the scripts' contract)."""
    return r.contract_json()


def recipient_json(r: Recipient) -> dict[str, Any]:
    """A recipient in a Reply's data: the contract fields and the blocklist named."""
    return {**contract_json(r), "blocklist": r.blocklist, "blocked_ip": r.blocked_ip}


def _blocklist_finding(kb: KnowledgeBase, r: Recipient, lang: str) -> Finding:
    name = r.blocklist or ""
    known = kb.blocklists.get(name) or next(
        (b for z, b in kb.blocklists.items() if name and (name in z or z in name)), None
    )
    detail = kb.text("bounce.blocklist", lang, list=name)
    fix: tuple[str, ...] = ()
    if known and known.delist_url:
        fix = (kb.text("bounce.delist", lang, url=known.delist_url),)
        detail += " " + fix[0]
    return Finding(
        check="dnsbl",
        status=Status.FAIL,
        subject=name,
        evidence=r.blocked_ip or "",
        detail=detail,
        fix=fix,
    )


def recipient_sections(kb: KnowledgeBase, r: Recipient, lang: str) -> list[Section]:
    reason = kb.reasons.get(r.reason or "undefined") or kb.reasons["undefined"]
    address = r.recipient or kb.text("bounce.no_recipient", lang)
    if r.temporary is None:
        retry = kb.text("bounce.unknown", lang)
    else:
        retry = kb.text("bounce.temporary" if r.temporary else "bounce.permanent", lang)
    fields = [
        (kb.text("bounce.field.address", lang), address),
        (kb.text("bounce.field.reason", lang), f"{reason.title.get(lang)} ({reason.name})"),
    ]
    if r.reply_code:
        fields.append((kb.text("bounce.field.reply_code", lang), r.reply_code))
    if r.status:
        fields.append((kb.text("bounce.field.status", lang), r.status))
    if r.remote_host:
        fields.append((kb.text("bounce.field.remote_host", lang), r.remote_host))
    fields.append((kb.text("bounce.field.retry", lang), retry))
    fields.append((kb.text("bounce.field.side", lang), kb.text(f"bounce.side.{reason.side}", lang)))
    text = reason.summary.get(lang)
    if reason.name == "greylisted":
        text += "\n" + kb.text("bounce.greylisted", lang)
    if (
        reason.name == "filtered"
        and by_text(" ".join(r.diagnostic.lower().split())) == "userunknown"
    ):
        text += "\n" + kb.text("bounce.filter_says_unknown", lang)
    findings = []
    if r.blocklist:
        findings.append(_blocklist_finding(kb, r, lang))
    if r.blocked_ip:
        text += "\n" + kb.text("bounce.blocked_ip", lang, ip=r.blocked_ip)
    status = Status.WARN if r.temporary else Status.FAIL
    if reason.name in ("delivered", "vacation", "greylisted"):
        status = Status.OK if reason.name == "delivered" else Status.INFO
    out = [
        Section(
            heading=f"{address}: {reason.title.get(lang)}",
            status=status,
            text=text,
            fields=tuple(fields),
            findings=tuple(findings),
            steps=reason.fix.get(lang),
        )
    ]
    if r.diagnostic:
        out.append(
            Section(
                heading=kb.text("bounce.diagnostic", lang, address=address),
                code=r.diagnostic,
                in_thread=True,
            )
        )
    return out


def _summary(kb: KnowledgeBase, report: BounceReport, lang: str) -> str:
    rs = report.recipients
    count = len(rs)
    if report.kind in ("delivered", "vacation", "feedback"):
        return kb.text(f"bounce.summary.{report.kind}", lang, count=count)
    if all(r.reason == "greylisted" for r in rs):
        return kb.text("bounce.summary.greylisted", lang, count=count)
    names: dict[str, int] = {}
    for r in rs:
        names[r.reason or "undefined"] = names.get(r.reason or "undefined", 0) + 1
    reasons = ", ".join(
        f"{kb.reasons[n].title.get(lang) if n in kb.reasons else n} x{c}"
        if c > 1
        else (kb.reasons[n].title.get(lang) if n in kb.reasons else n)
        for n, c in sorted(names.items(), key=lambda kv: -kv[1])
    )
    top = max(names, key=lambda n: names[n])
    steps = kb.reasons[top].fix.get(lang) if top in kb.reasons else ()
    first = steps[0] if steps else kb.reasons["undefined"].summary.get(lang)
    key = "bounce.summary.delay" if report.kind == "delay" else "bounce.summary.bounce"
    return kb.text(key, lang, count=count, reasons=reasons, first=first)


def build(report: BounceReport, lang: str) -> Reply:
    """The answer for a report that has recipients."""
    kb = load()
    sections: list[Section] = []
    for r in report.recipients[:MAX_SECTIONS]:
        sections += recipient_sections(kb, r, lang)
    summary = _summary(kb, report, lang)
    if len(report.recipients) > MAX_SECTIONS:
        summary += "\n" + kb.text(
            "bounce.more", lang, shown=MAX_SECTIONS, count=len(report.recipients)
        )
    ips = list(dict.fromkeys(r.blocked_ip for r in report.recipients if r.blocked_ip))
    actions = (f"/mailcheck {ips[0]}", f"/mailwatch add {ips[0]}") if ips else ()
    return Reply(
        title=kb.text("bounce.title", lang),
        summary=summary,
        status=_KIND_STATUS.get(report.kind, Status.INFO),
        sections=tuple(sections),
        actions=actions,
        lang=lang,
        data={"kind": report.kind, "recipients": [recipient_json(r) for r in report.recipients]},
    )


def _error_key(report: BounceReport) -> str:
    if report.error == ERROR_EMPTY:
        return "bounce.error.empty"
    if report.error == ERROR_BINARY:
        return "bounce.error.binary"
    return "bounce.error.no_failure"


def answer(args: str, req: Request) -> Reply | None:
    """The chat answer: None for an overheard non-bounce, UsageError for an unusable paste."""
    lang = req.lang or "en"
    report = build_report(args)
    if report.kind == "not_bounce" or not report.recipients:
        if not req.explicit:
            return None
        raise UsageError(load().text(_error_key(report), lang), usage="usage.explain")
    if not req.explicit and report.kind not in ("bounce", "delay"):
        return None
    return build(report, lang)


def answer_text(data: str | bytes, lang: str) -> Reply:
    """The CLI's text answer: like chat, but a usage note instead of an exception."""
    from handlers.reply import Kind

    report = build_report(data)
    if report.kind == "not_bounce" or not report.recipients:
        kb = load()
        return Reply(
            title=kb.text("title.usage", lang),
            summary=kb.text(_error_key(report), lang),
            kind=Kind.USAGE,
            lang=lang,
            data={"error": report.error},
        )
    return build(report, lang)
