"""Block Kit rendering: a Reply becomes Slack messages within Slack's limits, escaped exactly once.

Limits kept here: section text <= 3000 characters, <= 50 blocks per message (longer answers become
several messages), and a plain `text` fallback on every message for notifications and old clients.
Everything taken from a Reply is escaped (`&`, `<`, `>`), so `<!channel>` in a paste stays text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.render.text import section_lines
from handlers.reply import Finding, Reply, Section, Status
from knowledge.loader import load

MAX_SECTION_TEXT = 3000
MAX_BLOCKS = 50
MAX_FALLBACK = 3000
MAX_CONTEXT_TEXT = 2000

EMOJI = {
    Status.OK: ":white_check_mark:",
    Status.INFO: ":information_source:",
    Status.UNKNOWN: ":grey_question:",
    Status.WARN: ":warning:",
    Status.FAIL: ":x:",
}

Block = dict[str, Any]

_USER_ID_RE = re.compile(r"[UW][A-Z0-9]{2,20}")


@dataclass(frozen=True, slots=True)
class Message:
    """One chat.postMessage worth: blocks plus their plain-text fallback."""

    blocks: tuple[Block, ...]
    text: str

    def as_kwargs(self) -> dict[str, Any]:
        return {"blocks": list(self.blocks), "text": self.text}


@dataclass(frozen=True, slots=True)
class _Piece:
    block: Block
    plain: str


def escape(text: str) -> str:
    """Slack's three control characters escaped; done once, on the way out."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(raw: str, limit: int) -> list[str]:
    """Escape `raw` and cut it into pieces of at most `limit` characters, at line ends if possible."""
    pieces: list[str] = []
    current = ""
    for line in raw.split("\n"):
        escaped = escape(line)
        joined = f"{current}\n{escaped}" if current else escaped
        if len(joined) <= limit:
            current = joined
            continue
        if current:
            pieces.append(current)
            current = ""
        while len(escaped) > limit:  # one very long line: cut between characters, never in `&amp;`
            cut = limit
            amp = escaped.rfind("&", max(0, cut - 4), cut)
            if amp != -1 and ";" not in escaped[amp:cut]:
                cut = amp
            pieces.append(escaped[:cut])
            escaped = escaped[cut:]
        current = escaped
    if current or not pieces:
        pieces.append(current)
    return pieces


def _sections(raw: str, plain: str, prefix: str = "") -> list[_Piece]:
    """Section blocks for `raw` text; `prefix` is trusted mrkdwn put before the first piece."""
    limit = MAX_SECTION_TEXT - len(prefix)
    parts = _cut(raw, limit)
    out = []
    for i, part in enumerate(parts):
        text = (prefix if i == 0 else "") + part
        if not text.strip():
            continue
        block = {"type": "section", "text": {"type": "mrkdwn", "text": text}}
        out.append(_Piece(block, plain if i == 0 else ""))
    return out


def _code(code: str) -> list[_Piece]:
    fence = "```"
    body = code.replace(fence, "'''")
    parts = _cut(body, MAX_SECTION_TEXT - 2 * len(fence) - 2)
    return [
        _Piece(
            {"type": "section", "text": {"type": "mrkdwn", "text": f"{fence}\n{p}\n{fence}"}}, ""
        )
        for p in parts
    ]


def _context(raw: str) -> _Piece:
    text = _cut(raw, MAX_CONTEXT_TEXT)[0]
    return _Piece({"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}, raw)


def _trusted_context(mrkdwn: str) -> _Piece:
    block = {"type": "context", "elements": [{"type": "mrkdwn", "text": mrkdwn[:MAX_CONTEXT_TEXT]}]}
    return _Piece(block, "")


def _finding(f: Finding) -> str:
    line = f"{EMOJI[f.status]} *{escape(f.check)}* {escape(f.subject)}".rstrip()
    if f.detail:
        line += f": {escape(f.detail)}"
    if f.evidence:
        evidence = f.evidence.replace("`", "'")
        line += f" `{escape(evidence)}`"
    return line


def _section_pieces(s: Section) -> list[_Piece]:
    emoji = "" if s.status is None else EMOJI[s.status] + " "
    heading = f"{emoji}*{_cut(s.heading, 200)[0]}*"
    plain = "\n".join(section_lines(s))
    body = "\n".join([*(f"{k}: {v}" for k, v in s.fields), *([s.text] if s.text else [])])
    pieces = _sections(body, plain, prefix=heading + "\n") if body else [_mrkdwn(heading, plain)]
    # findings are escaped mrkdwn already: pack them into sections, whole lines each
    current = ""
    for f in s.findings:
        line = _finding(f)[:MAX_SECTION_TEXT]
        if current and len(current) + 1 + len(line) > MAX_SECTION_TEXT:
            pieces.append(_mrkdwn(current))
            current = ""
        current = f"{current}\n{line}" if current else line
    if current:
        pieces.append(_mrkdwn(current))
    if s.steps:
        pieces += _sections(_numbered(s.steps), "")
    if s.code:
        pieces += _code(s.code)
    return pieces


def _mrkdwn(text: str, plain: str = "") -> _Piece:
    return _Piece({"type": "section", "text": {"type": "mrkdwn", "text": text}}, plain)


def _numbered(steps: tuple[str, ...]) -> str:
    return "\n".join(f"{i}. {step}" for i, step in enumerate(steps, 1))


def _messages(pieces: list[_Piece]) -> list[Message]:
    out = []
    for start in range(0, len(pieces), MAX_BLOCKS):
        chunk = pieces[start : start + MAX_BLOCKS]
        plain = "\n".join(p.plain for p in chunk if p.plain) or "…"
        text = _cut(plain, MAX_FALLBACK)[0]
        out.append(Message(tuple(p.block for p in chunk), text))
    return out


def asked_by(user: str, request: str) -> str:
    """A context line naming who asked what (a slash command's answer is posted by the bot)."""
    mention = f"<@{user}>" if _USER_ID_RE.fullmatch(user) else escape(user)
    flat = " ".join(request.replace("`", "'").split())
    return f"{mention}: `{_cut(flat, 300)[0]}`"


def summary_messages(reply: Reply, lead: str | None = None) -> list[Message]:
    """What the channel sees: title, summary, main sections, fix steps and next actions.

    `lead` is trusted mrkdwn put first as a context line (see `asked_by`).
    """
    kb = load()
    plain_head = f"{reply.title}\n{reply.summary}"
    pieces = [] if lead is None else [_trusted_context(lead)]
    pieces += _sections(
        reply.summary,
        plain_head,
        prefix=f"{EMOJI[reply.status]} *{_cut(reply.title, 200)[0]}*\n",
    )
    for s in reply.main_sections:
        pieces += _section_pieces(s)
    if reply.steps:
        heading = escape(kb.text("slack.steps", reply.lang))
        plain = "\n".join([heading, _numbered(reply.steps)])
        pieces += _sections(_numbered(reply.steps), plain, prefix=f"*{heading}*\n")
    if reply.actions:
        label = kb.text("slack.next", reply.lang)
        pieces.append(_context(f"{label}: " + "   ".join(reply.actions)))
    return _messages(pieces)


def detail_messages(reply: Reply) -> list[Message]:
    """What goes in the thread under the summary: detail sections and references (may be none)."""
    kb = load()
    pieces: list[_Piece] = []
    for s in reply.thread_sections:
        pieces += _section_pieces(s)
    if reply.references:
        heading = escape(kb.text("slack.references", reply.lang))
        refs = "\n".join(f"• {r}" for r in reply.references)
        pieces += _sections(refs, f"{heading}\n{refs}", prefix=f"*{heading}*\n")
    return _messages(pieces) if pieces else []


def all_messages(reply: Reply, lead: str | None = None) -> list[Message]:
    """The whole answer as consecutive messages (for a thread reply or an ephemeral note)."""
    return summary_messages(reply, lead) + detail_messages(reply)


__all__ = [
    "MAX_BLOCKS",
    "MAX_SECTION_TEXT",
    "Message",
    "all_messages",
    "asked_by",
    "detail_messages",
    "escape",
    "summary_messages",
]
