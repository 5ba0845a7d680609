"""A strict reader of Telegram's HTML parse mode: what the Bot API would refuse, this refuses too.

Only the tags and entities Telegram documents are accepted; every `<`, `>` and `&` that is not part
of a tag or entity is an error ("can't parse entities"), as are unclosed or crossed tags and text
longer than 4096 UTF-16 code units once the markup is gone.
"""

from __future__ import annotations

import re

MAX_TEXT = 4096

TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "span",
    "tg-spoiler",
    "a",
    "code",
    "pre",
    "blockquote",
    "tg-emoji",
}
ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}

_TAG = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+(?:\s*=\s*(?:\"[^\"<>]*\"|'[^'<>]*'|[^\s\"'<>=]+))?)*)\s*>"
)
_ATTR = re.compile(r"([a-zA-Z-]+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'<>=]+)))?")
_ENTITY = re.compile(r"&(?:#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z]+));")


class EntityParseError(ValueError):
    """The text is not valid Telegram HTML; the message reads like the Bot API's description."""


def _fail(problem: str, offset: int) -> EntityParseError:
    return EntityParseError(f"Bad Request: can't parse entities: {problem} at byte offset {offset}")


def _check_attrs(name: str, raw: str, offset: int) -> None:
    attrs = {
        m.group(1).lower(): m.group(2) or m.group(3) or m.group(4) or ""
        for m in _ATTR.finditer(raw)
    }
    if name == "a" and "href" not in attrs:
        raise _fail('Can\'t find "href" attribute of tag "a"', offset)
    if name == "span" and attrs.get("class") != "tg-spoiler":
        raise _fail('Tag "span" must have class "tg-spoiler"', offset)
    if name == "tg-emoji" and "emoji-id" not in attrs:
        raise _fail('Tag "tg-emoji" must have attribute "emoji-id"', offset)


def visible_text(markup: str) -> str:
    """The text a reader sees; raises EntityParseError where Telegram would answer 400."""
    out: list[str] = []
    stack: list[str] = []
    i = 0
    while i < len(markup):
        ch = markup[i]
        offset = len(markup[:i].encode("utf-8"))
        if ch == "<":
            m = _TAG.match(markup, i)
            if not m:
                raise _fail("Unclosed start tag", offset)
            closing, name, attrs = m.group(1) == "/", m.group(2).lower(), m.group(3)
            if closing:
                if not stack or stack[-1] != name:
                    raise _fail(f'Unmatched end tag "{name}"', offset)
                stack.pop()
            else:
                if name not in TAGS:
                    raise _fail(f'Unsupported start tag "{name}"', offset)
                parent = stack[-1] if stack else ""
                if parent == "code" or (parent == "pre" and name != "code"):
                    raise _fail(f'Tag "{name}" is not allowed inside "{stack[-1]}"', offset)
                _check_attrs(name, attrs, offset)
                stack.append(name)
            i = m.end()
        elif ch == ">":
            raise _fail('Unexpected ">"', offset)
        elif ch == "&":
            m = _ENTITY.match(markup, i)
            if not m:
                raise _fail("Unsupported HTML entity", offset)
            if m.group(3) is not None:
                if m.group(3) not in ENTITIES:
                    raise _fail(f'Unsupported HTML entity "{m.group(3)}"', offset)
                out.append(ENTITIES[m.group(3)])
            else:
                code = int(m.group(1)) if m.group(1) else int(m.group(2), 16)
                out.append(chr(code) if 0 < code < 0x110000 else "\ufffd")
            i = m.end()
        else:
            out.append(ch)
            i += 1
    if stack:
        raise _fail(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"', len(markup))
    return "".join(out)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def check_message(text: str, parse_mode: str | None) -> str:
    """The visible text of a sendMessage, or EntityParseError for what Telegram answers 400 to."""
    shown = visible_text(text) if (parse_mode or "").upper() == "HTML" else text
    if not shown.strip():
        raise EntityParseError("Bad Request: message text is empty")
    if utf16_len(shown) > MAX_TEXT:
        raise EntityParseError("Bad Request: message is too long")
    return shown
