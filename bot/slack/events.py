"""Slack payloads (slash commands, message events, mentions, shortcuts) read into one Incoming shape.

Pure functions over the JSON Slack sends; what to skip (edits, bots, ourselves) is decided here, what
to answer and where is bot/slack/responder.py's job.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.slack.inbound import mentions, strip_mention, unescape

# Slack command name -> the dispatcher's command (Slack may reserve /help, so help is /mailhelp)
COMMANDS: dict[str, str] = {
    "/mailcheck": "/mailcheck",
    "/mailtrack": "/mailtrack",
    "/mailwatch": "/mailwatch",
    "/lang": "/lang",
    "/mailhelp": "/help",
}
PRIVATE_COMMANDS = frozenset({"/lang", "/mailhelp"})
"""Commands whose answers concern only the asker: shown to them alone."""

SHORTCUT_ID = "explain_bounce"

# message subtypes that are still a person saying something new
_ANSWERED_SUBTYPES = frozenset({None, "file_share", "thread_broadcast"})


@dataclass(frozen=True, slots=True)
class Incoming:
    """One thing a person asked, wherever it came from; `thread` is where the answer goes."""

    origin: str  # "command", "message", "mention", "dm" or "shortcut"
    text: str  # unescaped, without the bot's mention
    user: str
    team: str | None
    channel: str
    thread: str | None  # None: a new message in the channel (slash commands)
    key: str | None  # dedup key of the delivery (Slack retries repeat it)
    explicit: bool
    files: tuple[Mapping[str, Any], ...] = ()
    response_url: str | None = None
    command: str | None = None

    @property
    def private(self) -> bool:
        return self.command in PRIVATE_COMMANDS


def from_command(body: Mapping[str, Any]) -> Incoming:
    """A slash command form post (`command`, `text`, `trigger_id`, `response_url`...)."""
    command = str(body.get("command", ""))
    text = f"{COMMANDS.get(command, command)} {unescape(str(body.get('text') or ''))}".strip()
    trigger = body.get("trigger_id")
    return Incoming(
        origin="command",
        text=text,
        user=str(body.get("user_id", "")),
        team=body.get("team_id"),
        channel=str(body.get("channel_id", "")),
        thread=None,
        key=f"slack:trigger:{trigger}" if trigger else None,
        explicit=True,
        response_url=body.get("response_url"),
        command=command,
    )


def _is_person(event: Mapping[str, Any], bot_user_id: str | None) -> bool:
    """False for edits, deletions, joins, other bots' and our own messages."""
    if event.get("subtype") not in _ANSWERED_SUBTYPES or event.get("hidden"):
        return False
    if event.get("bot_id") or event.get("bot_profile") or not event.get("user"):
        return False
    return event.get("user") != bot_user_id


def _event_key(body: Mapping[str, Any], event: Mapping[str, Any]) -> str:
    if body.get("event_id"):
        return f"slack:event:{body['event_id']}"
    return f"slack:message:{event.get('channel')}:{event.get('ts')}"


def _files(event: Mapping[str, Any]) -> tuple[Mapping[str, Any], ...]:
    files = event.get("files") or ()
    return tuple(f for f in files if isinstance(f, Mapping))


def from_message(
    body: Mapping[str, Any], bot_user_id: str | None, watch_channels: Sequence[str] = ()
) -> Incoming | None:
    """A `message` event: DMs are explicit; channel messages are overheard (None: not for us)."""
    event: Mapping[str, Any] = body.get("event") or {}
    if not _is_person(event, bot_user_id):
        return None
    channel = str(event.get("channel", ""))
    raw = str(event.get("text") or "")
    is_dm = event.get("channel_type") == "im"
    if not is_dm:
        if bot_user_id and mentions(raw, bot_user_id):
            return None  # the app_mention event of the same message answers it
        if watch_channels and channel not in watch_channels:
            return None
    return Incoming(
        origin="dm" if is_dm else "message",
        text=unescape(strip_mention(raw, bot_user_id)),
        user=str(event["user"]),
        team=body.get("team_id") or event.get("team"),
        channel=channel,
        thread=event.get("thread_ts") or event.get("ts"),
        key=_event_key(body, event),
        explicit=is_dm,
        files=_files(event),
    )


def from_mention(body: Mapping[str, Any], bot_user_id: str | None) -> Incoming | None:
    """An `app_mention` event: someone asked the bot by name, in a channel."""
    event: Mapping[str, Any] = body.get("event") or {}
    if not _is_person(event, bot_user_id):
        return None
    return Incoming(
        origin="mention",
        text=unescape(strip_mention(str(event.get("text") or ""), bot_user_id)),
        user=str(event["user"]),
        team=body.get("team_id") or event.get("team"),
        channel=str(event.get("channel", "")),
        thread=event.get("thread_ts") or event.get("ts"),
        key=_event_key(body, event),
        explicit=True,
        files=_files(event),
    )


def from_shortcut(body: Mapping[str, Any], bot_user_id: str | None) -> Incoming:
    """The "Explain this bounce" message shortcut: explain that message, in its thread."""
    message: Mapping[str, Any] = body.get("message") or {}
    trigger = body.get("trigger_id")
    return Incoming(
        origin="shortcut",
        text=unescape(strip_mention(str(message.get("text") or ""), bot_user_id)),
        user=str((body.get("user") or {}).get("id", "")),
        team=(body.get("team") or {}).get("id"),
        channel=str((body.get("channel") or {}).get("id", "")),
        thread=message.get("thread_ts") or message.get("ts") or body.get("message_ts"),
        key=f"slack:trigger:{trigger}" if trigger else None,
        explicit=True,
        files=_files(message),
        response_url=body.get("response_url"),
    )
