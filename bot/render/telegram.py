"""Telegram rendering: a Reply as HTML-parse-mode messages of at most 4096 characters each.

Text is escaped exactly once, here, span by span; every message is built from whole spans, so a
message never ends inside a tag. Long answers split at line boundaries (a single over-long line or
code block at a newline or space inside it). Sending the messages is bot/telegram's job.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from handlers.reply import Finding, Reply, Section, Status
from knowledge.loader import load

LIMIT = 4096  # Telegram's MessageLimit.MAX_TEXT_LENGTH, counted in UTF-16 code units
MAX_MESSAGES = 6  # per part (summary, details): groups take 20 messages a minute from a bot

MARK = {
    Status.OK: "✅",
    Status.INFO: "ℹ️",
    Status.UNKNOWN: "❔",
    Status.WARN: "⚠️",
    Status.FAIL: "❌",
}


@dataclass(frozen=True, slots=True)
class Span:
    """A run of raw (unescaped) text shown with at most one tag: b, i, code, pre or none."""

    text: str
    tag: str = ""

    def html(self) -> str:
        body = html.escape(self.text, quote=False)
        return f"<{self.tag}>{body}</{self.tag}>" if self.tag else body


Line = tuple[Span, ...]


@dataclass(frozen=True, slots=True)
class Message:
    """One message to send: `html` for parse_mode HTML, `plain` the same words without markup."""

    html: str
    plain: str


@dataclass(frozen=True, slots=True)
class TelegramReply:
    """The summary messages (the reply itself) and the detail messages that follow it."""

    main: tuple[Message, ...]
    details: tuple[Message, ...]

    @property
    def messages(self) -> tuple[Message, ...]:
        return self.main + self.details


def units(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _finding_line(f: Finding) -> Line:
    spans = [Span(MARK[f.status] + " "), Span(f.check, "b")]
    if f.subject:
        spans.append(Span(" " + f.subject))
    if f.detail:
        spans.append(Span(": " + f.detail))
    if f.evidence:
        spans += [Span(" ("), Span(f.evidence, "code"), Span(")")]
    return tuple(spans)


def _numbered(steps: tuple[str, ...]) -> list[Line]:
    return [(Span(f"{i}. {step}"),) for i, step in enumerate(steps, 1)]


def _section_lines(s: Section) -> list[Line]:
    head = s.heading if s.status is None else f"{MARK[s.status]} {s.heading}"
    lines: list[Line] = [(), (Span(head, "b"),)]
    lines += [(Span(k, "i"), Span(": " + v)) for k, v in s.fields]
    lines += [(Span(t),) for t in s.text.splitlines()]
    lines += [_finding_line(f) for f in s.findings]
    lines += _numbered(s.steps)
    if s.code.strip():
        lines.append((Span(s.code.rstrip("\n"), "pre"),))
    return lines


def _main_lines(reply: Reply) -> list[Line]:
    kb = load()
    lines: list[Line] = [(Span(f"{MARK[reply.status]} {reply.title}", "b"),)]
    lines += [(Span(t),) for t in reply.summary.splitlines()]
    for s in reply.main_sections:
        lines += _section_lines(s)
    if reply.steps:
        lines += [(), (Span(kb.text("telegram.heading.fix", reply.lang), "b"),)]
        lines += _numbered(reply.steps)
    if reply.actions:
        label = Span(kb.text("telegram.heading.next", reply.lang) + " ")
        actions: list[Span] = []
        for a in reply.actions:
            actions += [Span(a, "code"), Span("  ")]
        lines += [(), (label, *actions[:-1])]
    if reply.references:
        lines += [(), (Span(kb.text("telegram.heading.references", reply.lang), "b"),)]
        lines += [(Span(r),) for r in reply.references]
    return lines


_COST = {"<": 4, ">": 4, "&": 5}  # escaped length of the characters html.escape changes


def _cut(text: str, room: int) -> int:
    """How many characters of `text` to put in `room` escaped units: at a newline, else a space."""
    used = fit = 0
    for ch in text:
        used += _COST.get(ch, 2 if ch > "\uffff" else 1)
        if used > room:
            break
        fit += 1
    if fit == len(text):
        return fit
    for sep in ("\n", " "):
        at = text.rfind(sep, 0, fit)
        if at >= fit // 2:
            return at + 1
    return fit


def _line_html(line: Line) -> str:
    return "".join(s.html() for s in line)


def _fit(line: Line, first: int, limit: int) -> Iterator[Line]:
    """Cut a line into parts of at most `first` units, then at most `limit` units each."""
    current: list[Span] = []
    size, cap = 0, first
    for span in line:
        rest = span.text
        overhead = units(Span("", span.tag).html())
        while rest:
            room = cap - size - overhead
            n = _cut(rest, room) if room > 0 else 0
            if n == 0 and (current or cap != limit):  # start a fresh part and try again
                yield tuple(current)
                current, size, cap = [], 0, limit
                continue
            n = max(n, 1)
            piece = Span(rest[:n].rstrip("\n") if span.tag == "pre" else rest[:n], span.tag)
            if piece.text:
                current.append(piece)
                size += units(piece.html())
            rest = rest[n:]
            if rest:
                yield tuple(current)
                current, size, cap = [], 0, limit
    if current:
        yield tuple(current)


def _groups(lines: list[Line], limit: int) -> Iterator[list[Line]]:
    """Lines grouped into messages, lazily; a line too long for any message is cut, starting in
    the room the lines before it left."""
    current: list[Line] = []
    size = 0
    for line in lines:
        n = units(_line_html(line))
        if n <= limit:
            parts: Iterable[Line] = [line]
        else:
            room = limit - size - 1 if current else limit
            parts = _fit(line, room if room >= limit // 4 else limit, limit)
        for part in parts:
            n = units(_line_html(part))
            if current and size + 1 + n > limit:
                yield current
                current, size = [], 0
            size += n + (1 if current else 0)
            current.append(part)
    if current:
        yield current


def _message(group: list[Line]) -> Message | None:
    while group and not group[0]:
        group = group[1:]
    while group and not group[-1]:
        group = group[:-1]
    if not group:
        return None
    return Message(
        html="\n".join(_line_html(line) for line in group),
        plain="\n".join("".join(s.text for s in line) for line in group),
    )


def pack(lines: list[Line], limit: int = LIMIT, most: int | None = None) -> tuple[Message, ...]:
    """Join lines into as few messages as fit in `limit` each, splitting only between lines.

    With `most`, stops after that many messages (the caller compares to see what was left out).
    """
    out: list[Message] = []
    for group in _groups(lines, limit):
        message = _message(group)
        if message is not None:
            out.append(message)
        if most is not None and len(out) >= most:
            break
    return tuple(out)


def _capped(lines: list[Line], limit: int, lang: str) -> tuple[Message, ...]:
    """At most MAX_MESSAGES messages, the last of them saying how much was left out."""
    messages = pack(lines, limit, MAX_MESSAGES + 1)
    if len(messages) <= MAX_MESSAGES:
        return messages
    kept = messages[: MAX_MESSAGES - 1]
    total = sum(len(s.text) for line in lines for s in line)
    left = total - sum(len(m.plain) for m in kept)
    size = f"{max(left, 1000) / 1000:.0f}"
    note = Span(load().text("telegram.truncated", lang, size=size), "i")
    return (*kept, Message(html=note.html(), plain=note.text))


def render(reply: Reply, limit: int = LIMIT) -> TelegramReply:
    """The reply as Telegram HTML messages: the summary part first, then the thread sections."""
    details: list[Line] = []
    for s in reply.thread_sections:
        details += _section_lines(s)
    return TelegramReply(
        main=_capped(_main_lines(reply), limit, reply.lang),
        details=_capped(details, limit, reply.lang),
    )
