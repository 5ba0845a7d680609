"""Structured logs: one JSON line per event, e-mail local parts masked, no pasted bodies."""

from __future__ import annotations

import json
import logging
import re
import sys
import time

_ADDRESS = re.compile(r"\b([A-Za-z0-9._%+\-]{1,64})@([A-Za-z0-9.\-]{1,253}\.[A-Za-z]{2,63})\b")
_TOKENS = re.compile(r"\b(xox[abpr]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|\d{6,12}:[A-Za-z0-9_-]{30,})")
_MAX_MESSAGE = 2000


def mask(text: str) -> str:
    """Hide the local part of every address (a***@example.com) and anything shaped like a token."""
    text = _TOKENS.sub("[token]", text)
    return _ADDRESS.sub(lambda m: f"{m.group(1)[0]}***@{m.group(2)}", text)


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object; `extra={...}` fields become keys of it."""

    _SKIP = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}

    def __init__(self, mask_addresses: bool = True) -> None:
        super().__init__()
        self.mask_addresses = mask_addresses

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if len(message) > _MAX_MESSAGE:
            message = message[:_MAX_MESSAGE] + f"... [{len(message) - _MAX_MESSAGE} more chars]"
        event: dict[str, object] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": message,
        }
        for key, value in vars(record).items():
            if key not in self._SKIP and not key.startswith("_"):
                event[key] = value if isinstance(value, int | float | bool | None) else str(value)
        if record.exc_info:
            event["error"] = self.formatException(record.exc_info)
        line = json.dumps(event, ensure_ascii=False, default=str)
        return mask(line) if self.mask_addresses else line


def configure(level: str = "INFO", stream: object = None) -> None:
    """Send every log record to stderr as JSON lines; masking is off only at DEBUG."""
    numeric = getattr(logging, level.upper(), logging.INFO)
    handler = logging.StreamHandler(stream or sys.stderr)  # type: ignore[arg-type]
    handler.setFormatter(JsonFormatter(mask_addresses=numeric > logging.DEBUG))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric)
    for noisy in ("httpx", "httpcore", "uvicorn.access", "slack_bolt", "slack_sdk", "telegram.ext"):
        logging.getLogger(noisy).setLevel(max(numeric, logging.WARNING))
