"""A small, forgiving MIME reader: headers, parts and decoded text, fast and without exceptions."""

from __future__ import annotations

import binascii
import re
from dataclasses import dataclass, field

MAX_DEPTH = 8
MAX_PARTS = 200
MAX_HEADER_LINES = 400

_FIELD_LINE_RE = re.compile(r"([!-9;-~]{1,76}):[ \t]*([^\n]*(?:\n[ \t][^\n]*)*)(?:\n|$)")
_FOLD_RE = re.compile(r"\n[ \t]+")
_PARAM_RE = re.compile(r';\s*([A-Za-z0-9*_.-]{1,40})\s*=\s*(?:"([^"]{0,500})"|([^;\s]{0,500}))')
_DAEMON_RE = re.compile(r"mailer-daemon|postmaster|mail delivery", re.I)
_BETWEEN_WORDS_RE = re.compile(r"\?=[ \t]+=\?")
_ENCODED_WORD_RE = re.compile(r"=\?([A-Za-z0-9_.:-]{1,40})\?([BbQq])\?([^?\s]{0,2000})\?=")


@dataclass(slots=True)
class Part:
    """One MIME entity: its headers (lower-case names, first value wins) and body."""

    headers: dict[str, str]
    body: str
    parts: list[Part] = field(default_factory=list)
    content_type: str = field(init=False, default="")  # lower-case type/subtype, from the headers

    def __post_init__(self) -> None:
        value = self.headers.get("content-type", "text/plain")
        self.content_type = value.split(";", 1)[0].strip().lower() or "text/plain"

    def header(self, name: str) -> str:
        return self.headers.get(name, "")

    def param(self, name: str) -> str:
        for m in _PARAM_RE.finditer(self.headers.get("content-type", "")):
            if m.group(1).lower() == name:
                return m.group(2) if m.group(2) is not None else m.group(3)
        return ""

    def text(self) -> str:
        """The body with its transfer encoding undone, decoded with the part's charset."""
        encoding = self.headers.get("content-transfer-encoding", "").strip().lower()
        if encoding not in ("base64", "quoted-printable"):
            return self.body
        try:
            if encoding == "base64":
                raw = binascii.a2b_base64(self.body.encode("ascii", "ignore"))
            else:
                raw = binascii.a2b_qp(self.body.encode("utf-8", "surrogateescape"))
        except (binascii.Error, ValueError):
            return self.body
        return decode_bytes(raw, self.param("charset"))

    def walk(self) -> list[Part]:
        out = [self]
        for p in self.parts:
            out.extend(p.walk())
        return out


def decode_bytes(raw: bytes, charset: str = "") -> str:
    """Bytes as text: the named charset, else UTF-8, else Latin-1 (which never fails)."""
    for cs in (charset.strip().lower() or "utf-8", "utf-8"):
        try:
            return raw.decode(cs)
        except (LookupError, UnicodeDecodeError):
            continue
    return raw.decode("latin-1")


def normalize(data: str | bytes) -> str:
    """Any input as text with LF line ends (CRLF and bare CR both become LF)."""
    text = decode_bytes(data) if isinstance(data, bytes) else data
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def decode_header(value: str) -> str:
    """Undo RFC 2047 encoded words (`=?utf-8?B?...?=`); anything undecodable is kept as is."""
    if "=?" not in value:
        return value

    def one(m: re.Match[str]) -> str:
        charset, kind, payload = m.group(1), m.group(2).upper(), m.group(3)
        try:
            if kind == "B":
                raw = binascii.a2b_base64(payload.encode("ascii") + b"==")
            else:
                raw = binascii.a2b_qp(payload.replace("_", " ").encode("ascii"), header=True)
        except (binascii.Error, ValueError, UnicodeEncodeError):
            return m.group(0)
        return decode_bytes(raw, charset.split("*", 1)[0])

    return _ENCODED_WORD_RE.sub(one, _BETWEEN_WORDS_RE.sub("?==?", value))


def split_headers(text: str) -> tuple[dict[str, str], str] | None:
    """Headers and body when `text` starts with a header block, else None.

    The block ends at the first blank line or at the first line that is not a header (a body
    pasted without the blank line). Folded lines are joined; the first of repeated fields wins.
    """
    head_end = text.find("\n\n")
    head = text if head_end < 0 else text[: head_end + 1]
    headers: dict[str, str] = {}
    pos = 0
    count = 0
    last = last_name = ""
    while count < MAX_HEADER_LINES:
        m = _FIELD_LINE_RE.match(head, pos)
        if m is None:
            line_end = head.find("\n", pos)
            line = head[pos : line_end if line_end >= 0 else len(head)]
            colon = line.find(":")
            if last.endswith(";") and "=" in line and (colon < 0 or "=" in line[:colon]):
                headers[last_name] += " " + line.strip()  # a parameter folded without indentation
                last = headers[last_name]
                pos = len(head) if line_end < 0 else line_end + 1
                continue
            break
        count += 1
        name = m.group(1).lower()
        value = m.group(2)
        if "\n" in value:
            value = _FOLD_RE.sub(" ", value)
        value = value.strip()
        if name not in headers:
            headers[name] = value
        last_name, last = name, headers[name]
        pos = m.end()
    if count == 0:
        return None
    if pos < len(head):
        return headers, text[pos:]  # the block ended at a line that is not a header
    return headers, ("" if head_end < 0 else text[head_end + 2 :])


def parse(text: str, depth: int = 0, budget: list[int] | None = None) -> Part | None:
    """The MIME tree of `text`, or None when it does not start with headers."""
    split = split_headers(text)
    if split is None:
        return None
    headers, body = split
    part = Part(headers=headers, body=body)
    budget = budget if budget is not None else [MAX_PARTS]
    _fill(part, depth, budget)
    return part


def _fill(part: Part, depth: int, budget: list[int]) -> None:
    ctype = part.content_type
    if depth >= MAX_DEPTH:
        return
    if ctype.startswith("multipart/"):
        boundary = part.param("boundary")
        if not boundary:
            return
        delim = "--" + boundary
        chunks = part.body.split(delim)
        for chunk in chunks[1:]:
            if chunk.startswith("--") or budget[0] <= 0:
                break
            budget[0] -= 1
            chunk = chunk[chunk.find("\n") + 1 :] if "\n" in chunk else ""
            if chunk.endswith("\n"):
                chunk = chunk[:-1]
            empty: dict[str, str] = {}
            split = split_headers(chunk) if not chunk.startswith("\n") else (empty, chunk[1:])
            headers, body = split if split is not None else (empty, chunk)
            child = Part(headers=headers, body=body)
            part.parts.append(child)
            _fill(child, depth + 1, budget)
    elif ctype == "message/rfc822" and budget[0] > 0:
        budget[0] -= 1
        split = split_headers(part.text().lstrip("\n"))
        if split is None:
            return
        inner = Part(headers=split[0], body=split[1])
        part.parts.append(inner)
        # a returned original only needs its headers; a forwarded bounce needs its whole tree
        if inner.content_type == "multipart/report" or _DAEMON_RE.search(inner.header("from")):
            _fill(inner, depth + 1, budget)
