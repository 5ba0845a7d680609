"""Payloads shaped as Slack sends them (events, slash commands, shortcuts) and their v0 signature.

For tests that talk to the adapter's HTTP route or send Socket Mode envelopes through the fake.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

from tests.fakes.slack_api import BOT_USER, TEAM

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
USER = "U0USER001"
CHANNEL = "C0CHAN001"

_ids = itertools.count(1)


def sign(body: bytes, timestamp: int | None = None, secret: str = SECRET) -> dict[str, str]:
    """The headers Slack puts on a request: v0 HMAC-SHA256 of `v0:{timestamp}:{body}`."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + ts.encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def message_event(
    text: str,
    *,
    user: str = USER,
    channel: str = CHANNEL,
    channel_type: str = "channel",
    event_type: str = "message",
    **extra: Any,
) -> dict[str, Any]:
    """An `event_callback` envelope around a message event, shaped as Slack sends it."""
    n = next(_ids)
    ts = f"{1699990000 + n}.{n:06d}"
    event: dict[str, Any] = {
        "type": event_type,
        "user": user,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "channel": channel,
        "team": TEAM,
        "client_msg_id": f"5b0d6c5e-0000-4000-8000-{n:012d}",
        "blocks": [],
    }
    if event_type == "message":
        event["channel_type"] = channel_type
    event.update(extra)
    return {
        "token": "legacy-verification-token",
        "team_id": TEAM,
        "context_team_id": TEAM,
        "api_app_id": "A0APP0001",
        "event": event,
        "type": "event_callback",
        "event_id": f"Ev0{n:08d}",
        "event_time": 1699990000 + n,
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": TEAM,
                "user_id": BOT_USER,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-eyJldCI6Im1lc3NhZ2Ui{n}",
    }


def command_form(command: str, text: str, response_url: str, **extra: str) -> dict[str, str]:
    """The form fields of a slash command post."""
    n = next(_ids)
    form = {
        "token": "legacy-verification-token",
        "team_id": TEAM,
        "team_domain": "fake",
        "channel_id": CHANNEL,
        "channel_name": "mail-ops",
        "user_id": USER,
        "user_name": "alice",
        "command": command,
        "text": text,
        "api_app_id": "A0APP0001",
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": f"1000{n}.2000.abcdef{n}",
    }
    form.update(extra)
    return form


def shortcut_payload(message: dict[str, Any], response_url: str) -> dict[str, Any]:
    """A `message_action` payload for the "Explain this bounce" shortcut on `message`."""
    n = next(_ids)
    return {
        "type": "message_action",
        "token": "legacy-verification-token",
        "action_ts": f"1699999999.{n:06d}",
        "team": {"id": TEAM, "domain": "fake"},
        "user": {"id": USER, "username": "alice", "team_id": TEAM, "name": "alice"},
        "channel": {"id": CHANNEL, "name": "mail-ops"},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": "explain_bounce",
        "trigger_id": f"3000{n}.4000.fedcba{n}",
        "response_url": response_url,
        "message_ts": message["ts"],
        "message": message,
    }


def encoded(kind: str, payload: dict[str, Any] | dict[str, str]) -> tuple[bytes, str]:
    """Body and content type for an event (JSON), a command (form) or an interaction (payload=)."""
    if kind == "event":
        return json.dumps(payload).encode(), "application/json"
    if kind == "command":
        return urlencode(payload).encode(), "application/x-www-form-urlencoded"
    return urlencode({"payload": json.dumps(payload)}).encode(), "application/x-www-form-urlencoded"
