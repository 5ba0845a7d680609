"""Bounce files sent to the bot as Telegram documents: which ones to read, and their text.

A returned message saved from a mail client arrives as a document (.eml, .txt, an Outlook export,
or a file without extension). Its text is fetched through the Bot API (getFile, then the file URL
beside the configured API URL), never more than the paste limit, and refused when it is not text.
What to answer with the text is the dispatcher's job, as for a paste.
"""

from __future__ import annotations

import codecs
import logging
from dataclasses import dataclass

from telegram import Bot, Document
from telegram.error import BadRequest, TelegramError

log = logging.getLogger("mailtriage.telegram")

TEXT_EXTENSIONS = frozenset({"eml", "txt", "text", "msg", "log", "mbox", "dsn", "mail"})
TEXT_MIMETYPES = ("text/", "message/", "application/mbox")
UNTYPED_MIMETYPES = frozenset({"", "application/octet-stream"})
SNIFF_BYTES = 65_536
# share of control characters (besides tab, line ends, form feed, escape) that makes a file binary
BINARY_CONTROL_SHARE = 0.02
_TEXT_CONTROLS = frozenset(b"\t\n\r\x0b\x0c\x1b")


@dataclass(frozen=True, slots=True)
class DocumentText:
    """A document's text, or why it was not read: `problem` is too_large, binary or unreadable."""

    name: str
    text: str | None = None
    problem: str | None = None
    size: int = 0


def extension(name: str) -> str:
    stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot and stem else ""


def may_be_bounce(document: Document) -> bool:
    """True for a text-like document: text/* or message/* type, a mail or text extension, or an
    untyped file without extension (whose content decides)."""
    mime = (document.mime_type or "").lower()
    ext = extension(document.file_name or "")
    if mime.startswith(TEXT_MIMETYPES) or ext in TEXT_EXTENSIONS:
        return True
    return not ext and mime in UNTYPED_MIMETYPES


def is_binary(data: bytes) -> bool:
    """True when the start of `data` is not text: NUL bytes or many other control bytes."""
    sample = data[:SNIFF_BYTES]
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    if b"\x00" in sample:
        return True
    controls = sum(1 for b in sample if b < 0x20 and b not in _TEXT_CONTROLS)
    return controls > BINARY_CONTROL_SHARE * max(len(sample), 1)


def decode(data: bytes) -> str:
    """Text of a file: UTF-16 with a byte order mark, else UTF-8, else Latin-1 (never fails)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def size_text(size: int) -> str:
    """A byte count for people: 2.0 MB, 800 kB."""
    return f"{size / 1e6:.1f} MB" if size >= 1_000_000 else f"{max(size // 1000, 1)} kB"


def document_name(document: Document) -> str:
    return document.file_name or "file"


async def read_document(bot: Bot, document: Document, limit: int) -> DocumentText:
    """The text of `document`, read only when it may be a bounce and is at most `limit` bytes."""
    name = document_name(document)
    if not may_be_bounce(document):
        return DocumentText(name, problem="binary", size=document.file_size or 0)
    if document.file_size and document.file_size > limit:
        return DocumentText(name, problem="too_large", size=document.file_size)
    try:
        file = await bot.get_file(document.file_id)
    except BadRequest as exc:
        if "too big" in str(exc).lower():  # over the Bot API's 20 MB download limit
            return DocumentText(name, problem="too_large", size=document.file_size or 0)
        log.warning("telegram: getFile refused a document: %s", exc)
        return DocumentText(name, problem="unreadable")
    except TelegramError as exc:
        log.warning("telegram: getFile failed: %s", exc)
        return DocumentText(name, problem="unreadable")
    if file.file_size and file.file_size > limit:
        return DocumentText(name, problem="too_large", size=file.file_size)
    try:
        data = bytes(await file.download_as_bytearray())
    except (TelegramError, RuntimeError, OSError) as exc:
        log.warning("telegram: could not download a document: %s", type(exc).__name__)
        return DocumentText(name, problem="unreadable")
    if len(data) > limit:
        return DocumentText(name, problem="too_large", size=len(data))
    if is_binary(data):
        return DocumentText(name, problem="binary", size=len(data))
    return DocumentText(name, text=decode(data), size=len(data))
