"""Plain-text rendering for the console and for every message's plain fallback."""

from __future__ import annotations

from handlers.reply import Finding, Reply, Section, Status

MARK = {
    Status.OK: "[ok]",
    Status.INFO: "[i]",
    Status.UNKNOWN: "[?]",
    Status.WARN: "[warn]",
    Status.FAIL: "[FAIL]",
}


def finding_line(f: Finding) -> str:
    line = f"{MARK[f.status]} {f.check} {f.subject}".rstrip()
    if f.detail:
        line += f": {f.detail}"
    if f.evidence:
        line += f" ({f.evidence})"
    return line


def section_lines(s: Section) -> list[str]:
    head = s.heading if s.status is None else f"{MARK[s.status]} {s.heading}"
    lines = [f"-- {head}"]
    width = max((len(k) for k, _ in s.fields), default=0)
    lines += [f"   {k.ljust(width)}  {v}" for k, v in s.fields]
    if s.text:
        lines += ["   " + t for t in s.text.splitlines()]
    lines += ["   " + finding_line(f) for f in s.findings]
    lines += [f"   {i}. {step}" for i, step in enumerate(s.steps, 1)]
    if s.code:
        lines += ["   | " + c for c in s.code.splitlines()]
    return lines


def summary_text(reply: Reply) -> str:
    """Title and summary: the one message a channel sees before the thread."""
    return f"{MARK[reply.status]} {reply.title}\n{reply.summary}"


def render(reply: Reply, details: bool = True) -> str:
    lines = [summary_text(reply)]
    for s in reply.main_sections:
        lines += section_lines(s)
    if reply.steps:
        lines.append("-- fix")
        lines += [f"   {i}. {step}" for i, step in enumerate(reply.steps, 1)]
    if reply.actions:
        lines.append("-- next: " + "  ".join(reply.actions))
    if details and reply.thread_sections:
        lines.append("")
        for s in reply.thread_sections:
            lines += section_lines(s)
    if reply.references:
        lines += ["-- see " + r for r in reply.references]
    return "\n".join(lines)
