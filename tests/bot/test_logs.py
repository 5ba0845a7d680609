"""Logs are one JSON object per line, with local parts of addresses and tokens masked."""

from __future__ import annotations

import io
import json
import logging

from bot.logs import configure, mask


def test_addresses_and_tokens_are_masked() -> None:
    text = "bounce for alice.smith@example.com via xoxb-123-456-abcdef and 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
    masked = mask(text)
    assert "alice.smith" not in masked and "a***@example.com" in masked
    assert "xoxb-123" not in masked and "AAHdq" not in masked


def test_each_event_is_one_json_line_with_extra_fields() -> None:
    stream = io.StringIO()
    configure("INFO", stream)
    try:
        logging.getLogger("mailtriage.test").info(
            "answered bob@example.org", extra={"incident": "ab12cd34", "platform": "slack"}
        )
    finally:
        logging.getLogger().handlers.clear()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    event = json.loads(lines[0])
    assert event["level"] == "info" and event["incident"] == "ab12cd34"
    assert event["msg"] == "answered b***@example.org"
