"""Slack's message markup undone: links, mentions and the three escaped characters become plain text.

Slack sends `&`, `<` and `>` escaped, and wraps links, addresses and mentions in `<...>`; handlers
want what the user typed. Escaping for the way back is bot/render/slack.py's job.
"""

from __future__ import annotations

import re

_TOKEN_RE = re.compile(r"<([^<>]*)>")
_MENTION_RE = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^<>]*)?>")


def _token(inner: str) -> str:
    target, _, label = inner.partition("|")
    if target.startswith("@"):  # user: <@U123> or <@U123|name>
        return "@" + (label or target[1:])
    if target.startswith("#"):  # channel: <#C123|general>
        return "#" + (label or target[1:])
    if target.startswith("!"):  # <!here>, <!subteam^S1|@ops>, <!date^...|fallback>
        if label:
            return label
        return "@" + target[1:].split("^", 1)[0]
    if target.startswith("mailto:"):
        return label or target[len("mailto:") :]
    return label or target  # <http://example.com|example.com> or a bare <http://x>


def unescape(text: str) -> str:
    """What the user typed, from Slack's markup: `&lt;<mailto:a@b|a@b>&gt;` -> `<a@b>`."""
    text = _TOKEN_RE.sub(lambda m: _token(m.group(1)), text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def mentions(text: str, user_id: str) -> bool:
    """True when the raw (still escaped) text mentions `user_id`."""
    return any(m.group(1) == user_id for m in _MENTION_RE.finditer(text))


def strip_mention(text: str, user_id: str | None) -> str:
    """The raw text without mentions of `user_id` (the bot), so `@bot /help` reads as `/help`."""
    if not user_id:
        return text
    return _MENTION_RE.sub(lambda m: "" if m.group(1) == user_id else m.group(0), text).strip()
