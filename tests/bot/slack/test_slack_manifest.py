"""deploy/slack-manifest.yaml asks for exactly what the adapter handles, with the minimum scopes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.slack.events import COMMANDS, SHORTCUT_ID

MANIFEST = Path(__file__).resolve().parents[3] / "deploy" / "slack-manifest.yaml"


def manifest() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(MANIFEST.read_text())
    return data


def test_the_manifest_declares_the_commands_the_adapter_listens_to() -> None:
    commands = [c["command"] for c in manifest()["features"]["slash_commands"]]
    assert sorted(commands) == sorted(COMMANDS)


def test_the_explain_shortcut_is_a_message_shortcut_with_the_adapters_callback_id() -> None:
    (shortcut,) = manifest()["features"]["shortcuts"]
    assert shortcut == {
        "name": "Explain this bounce",
        "type": "message",
        "callback_id": SHORTCUT_ID,
        "description": shortcut["description"],
    }


def test_events_and_scopes_are_the_minimum_the_adapter_needs() -> None:
    data = manifest()
    assert sorted(data["settings"]["event_subscriptions"]["bot_events"]) == [
        "app_mention",
        "message.channels",
        "message.groups",
        "message.im",
    ]
    assert sorted(data["oauth_config"]["scopes"]["bot"]) == [
        "app_mentions:read",
        "channels:history",
        "chat:write",
        "commands",
        "files:read",
        "groups:history",
        "im:history",
    ]


def test_every_request_url_is_the_one_events_path_and_socket_mode_is_on() -> None:
    data = manifest()
    urls = [c["url"] for c in data["features"]["slash_commands"]]
    urls += [data["settings"]["event_subscriptions"]["request_url"]]
    urls += [data["settings"]["interactivity"]["request_url"]]
    assert all(u.endswith("/slack/events") for u in urls)
    assert data["settings"]["socket_mode_enabled"] is True
    assert data["settings"]["interactivity"]["is_enabled"] is True
